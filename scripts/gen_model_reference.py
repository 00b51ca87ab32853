#!/usr/bin/python3
"""Reference values for tests/RobustSeg.Models.Tests: tiny PSPNet / DeepLabV3 and their DDC-AT variants built
in PyTorch with the semseg / DDC-AT layouts (deep-stem dilated ResNet, the same parameter names), saved as the
original code saves checkpoints ({'epoch', 'state_dict' with 'module.' keys, 'optimizer'}), with an input, the
eval-mode logits, the gradient of CE w.r.t. the input, and train-mode (batch statistics) outputs.

Small variant: ResNet-18 layout (basic blocks) at width 1/16, 5 classes, input 2x3x17x17, dropout 0 (so the
train-mode forward is deterministic). Run with /usr/bin/python3 (torch 1.13 CPU)."""
import os
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "RobustSeg.Models.Tests", "Data", "torch")
WIDTH, LAYERS, CLASSES, SIZE, BATCH = 0.0625, 18, 5, 17, 2


def ch(c):
    return max(1, int(round(c * WIDTH)))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, dilation, dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, dilation, dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        idn = x if self.downsample is None else self.downsample(x)
        return self.relu(out + idn)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, dilation, dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        idn = x if self.downsample is None else self.downsample(x)
        return self.relu(out + idn)


def make_backbone(m):
    """semseg deep stem + 4 stages, output stride 8 (layer3 dilation 2, layer4 dilation 4, stride 1)."""
    block = Bottleneck if LAYERS >= 50 else BasicBlock
    depths = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3]}[LAYERS]
    m.layer0 = nn.Sequential(
        nn.Conv2d(3, ch(64), 3, 2, 1, bias=False), nn.BatchNorm2d(ch(64)), nn.ReLU(inplace=True),
        nn.Conv2d(ch(64), ch(64), 3, 1, 1, bias=False), nn.BatchNorm2d(ch(64)), nn.ReLU(inplace=True),
        nn.Conv2d(ch(64), ch(128), 3, 1, 1, bias=False), nn.BatchNorm2d(ch(128)), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, 1))
    inplanes = ch(128)
    chans = []
    for stage in range(1, 5):
        planes = ch(64 << (stage - 1))
        dil = {3: 2, 4: 4}.get(stage, 1)
        stride = 2 if stage == 2 else 1
        outc = planes * block.expansion
        blocks = []
        for b in range(depths[stage - 1]):
            ds = nn.Sequential(nn.Conv2d(inplanes, outc, 1, stride, bias=False), nn.BatchNorm2d(outc)) if b == 0 else None
            blocks.append(block(inplanes, planes, stride if b == 0 else 1, dil, ds))
            inplanes = outc
        setattr(m, "layer%d" % stage, nn.Sequential(*blocks))
        chans.append(outc)
    return chans[2], chans[3]


class PPM(nn.Module):
    def __init__(self, in_dim, reduction_dim, bins):
        super().__init__()
        self.features = nn.ModuleList([nn.Sequential(nn.AdaptiveAvgPool2d(b), nn.Conv2d(in_dim, reduction_dim, 1, bias=False),
                                                     nn.BatchNorm2d(reduction_dim), nn.ReLU(inplace=True)) for b in bins])

    def forward(self, x):
        out = [x]
        for f in self.features:
            out.append(F.interpolate(f(x), x.shape[2:], mode="bilinear", align_corners=True))
        return torch.cat(out, 1)


class ASPP(nn.Module):
    def __init__(self, cin, cout, rates):
        super().__init__()
        mods = [nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())]
        for r in rates:
            mods.append(nn.Sequential(nn.Conv2d(cin, cout, 3, padding=r, dilation=r, bias=False), nn.BatchNorm2d(cout), nn.ReLU()))
        mods.append(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()))
        self.convs = nn.ModuleList(mods)

    def forward(self, x):
        res = [c(x) for c in self.convs[:-1]]
        res.append(F.interpolate(self.convs[-1](x), x.shape[2:], mode="bilinear", align_corners=True))
        return torch.cat(res, 1)


def head(cin, mid, cout, k):
    return nn.Sequential(nn.Conv2d(cin, mid, k, padding=k // 2, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
                         nn.Dropout2d(p=0.0), nn.Conv2d(mid, cout, 1))


class SegNet(nn.Module):
    def __init__(self, arch, ddcat):
        super().__init__()
        self.ddcat = ddcat
        c3, c4 = make_backbone(self)
        if arch == "psp":
            self.ppm = PPM(c4, c4 // 4, (1, 2, 3, 6))
            fea, mid, k, amid, ak = c4 * 2, ch(512), 3, ch(256), 3
            self.context = self.ppm
        else:
            self.aspp = ASPP(c4, ch(256), (6, 12, 18))
            fea, mid, k, amid, ak = ch(256) * 5, ch(256), 1, ch(256), 1
            self.context = self.aspp
        if ddcat:
            self.cls1 = head(fea, mid, CLASSES, k)
            self.mask1 = head(fea, mid, 2, k)
            self.cls2 = head(fea, mid, CLASSES, k)
            self.aux_cls1 = head(c3, amid, CLASSES, ak)
        else:
            self.cls = head(fea, mid, CLASSES, k)
            self.aux = head(c3, amid, CLASSES, ak)

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        x = self.layer2(self.layer1(self.layer0(x)))
        x3 = self.layer3(x)
        f = self.context(self.layer4(x3))
        up = lambda t: F.interpolate(t, size=(h, w), mode="bilinear", align_corners=True)
        if not self.ddcat:
            return dict(logits=up(self.cls(f)), aux=up(self.aux(x3)))
        normal, adver, mask = up(self.cls1(f)), up(self.cls2(f)), up(self.mask1(f))
        ind = mask.max(1)[1].unsqueeze(1).expand_as(adver)
        routed = ind.float() * adver + (1 - ind).float() * normal
        return dict(logits=routed, cls1=normal, cls2=adver, mask=mask, aux=up(self.aux_cls1(x3)))


def state_dict_without_context_alias(m):
    return {k: v for k, v in m.state_dict().items() if not k.startswith("context.")}


def randomize(m, g):
    """Random BN statistics and affine parameters so eval mode is not the identity; random head biases."""
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.Conv2d):
                # Kaiming normal, fan_out, ReLU (as the C# init), from the seeded generator.
                fan_out = mod.weight.shape[0] * mod.weight[0, 0].numel()
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * (2.0 / fan_out) ** 0.5)
                if mod.bias is not None:
                    mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)
            elif isinstance(mod, nn.BatchNorm2d):
                mod.weight.copy_(1 + 0.2 * torch.randn(mod.weight.shape, generator=g))
                mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=g))
                mod.running_mean.copy_(0.1 * torch.randn(mod.running_mean.shape, generator=g))
                mod.running_var.copy_(1 + 0.5 * torch.rand(mod.running_var.shape, generator=g))
                mod.num_batches_tracked.fill_(7)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(2)
    for arch in ("psp", "aspp"):
        for ddcat in (False, True):
            name = f"{arch}{'_ddcat' if ddcat else ''}"
            g = torch.Generator().manual_seed(1234 + (arch == "aspp") * 10 + ddcat)
            m = SegNet(arch, ddcat).double()
            randomize(m, g)
            sd = state_dict_without_context_alias(m)
            opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
            torch.save({"epoch": 3, "state_dict": {"module." + k: v.float() if v.is_floating_point() else v for k, v in sd.items()},
                        "optimizer": opt.state_dict()}, os.path.join(OUT, name + ".pth"))
            # Reference values computed in float64 from the float32-rounded weights.
            m.load_state_dict({k: (v.float().double() if v.is_floating_point() else v) for k, v in sd.items()}, strict=False)
            x = torch.randn(BATCH, 3, SIZE, SIZE, generator=g).float().double()
            labels = torch.randint(0, CLASSES, (BATCH, SIZE, SIZE), generator=g)
            labels[:, :3, :] = 255
            out = {"input": x.float().numpy(), "labels": labels.int().numpy()}

            m.eval()
            xe = x.clone().requires_grad_(True)
            r = m(xe)
            logits = r["cls1"] if ddcat else r["logits"]
            loss = F.cross_entropy(logits, labels, ignore_index=255)
            loss.backward()
            out["eval_logits"] = logits.detach().float().numpy()
            out["eval_input_grad"] = xe.grad.float().numpy()
            out["eval_loss"] = np.array([loss.item()], dtype=np.float32)

            m.train()
            m.zero_grad()
            r = m(x)
            loss = F.cross_entropy(r["logits"], labels, ignore_index=255) + 0.4 * F.cross_entropy(r["aux"], labels, ignore_index=255)
            if ddcat:
                target = (labels % 2).long()  # an arbitrary 0/1 mask target
                loss = loss + F.cross_entropy(r["mask"], target)
                out["train_mask_target"] = target.int().numpy()
                out["train_cls1"] = r["cls1"].detach().float().numpy()
                out["train_mask"] = r["mask"].detach().float().numpy()
            loss.backward()
            out["train_logits"] = r["logits"].detach().float().numpy()
            out["train_aux"] = r["aux"].detach().float().numpy()
            out["train_loss"] = np.array([loss.item()], dtype=np.float32)
            out["train_grad_layer0.0.weight"] = m.layer0[0].weight.grad.float().numpy()
            last = (m.cls1 if ddcat else m.cls)[4]
            out["train_grad_head.4.weight"] = last.weight.grad.float().numpy()
            out["train_running_mean_layer1.0.bn1"] = m.layer1[0].bn1.running_mean.float().numpy()
            out["train_running_var_layer4.1.bn2"] = m.layer4[1].bn2.running_var.float().numpy()
            np.savez(os.path.join(OUT, name + ".npz"), **out)
            print(name, sum(v.numel() for v in sd.values()), "values;", os.path.getsize(os.path.join(OUT, name + ".pth")), "bytes pth")


if __name__ == "__main__":
    main()
