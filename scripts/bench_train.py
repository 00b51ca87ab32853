#!/usr/bin/python3
"""One training iteration per regime (nodefense, SAT, DDC-AT) in PyTorch 1.13 CPU, two ways, and ours in the same run.

- original: the DDC-AT repository's procedure (tool_train/train_{,sat_,ddcat_}psp.py): the BIM attack runs the model
  in eval mode with every head and the aux head (indicate=1), computes the losses and calls loss.backward(), so weight
  gradients are computed at every attack step; DDC-AT adds a forward per step for the routed prediction and one on the
  final adversary; the whole batch is attacked.
- lean: what RobustSeg does: attack forwards run the deployed head only, torch.autograd.grad w.r.t. the input only;
  SAT attacks only the half it trains on; DDC-AT runs one routed forward on the clean half and one on its adversary.

The model: deep-stem dilated ResNet-18 (basic blocks) at a width multiplier, PSPNet or DeepLabV3 heads (semseg layout),
dropout 0.1, trained with SGD (momentum 0.9, wd 1e-4, heads 10x). torch.set_num_threads(2).

Usage: scripts/bench_train.py [--regime all|nodefense|sat|ddcat] [--arch psp] [--layers 18] [--width 0.5] [--size 129]
       [--batch 4] [--classes 21] [--iters 3] [--repeat 1] [--no-ours] [--paired N]

--paired N: ours against lean as N pairs of single iterations alternating in time (ours kept warm in one
`robustseg bench train --serve` process, which order goes first swapping every pair); the ratio is the median of the
pairs' ratios, with its quartiles. On a virtual machine whose speed drifts by 20 % between minutes, blocks of runs taken
one after the other (the default) can disagree by that much; pairs seconds apart do not.
"""
import argparse
import os
import subprocess
import sys

import torch

import robustseg_cli
from torch import nn
import torch.nn.functional as F

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def ch(c, width):
    return max(1, int(round(c * width)))


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride, dil, down):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, dil, dil, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, dil, dil, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = down

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride, dil, down):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, dil, dil, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = down

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


def head(cin, mid, cout, k):
    return nn.Sequential(nn.Conv2d(cin, mid, k, padding=k // 2, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
                         nn.Dropout2d(p=0.1), nn.Conv2d(mid, cout, 1))


class PPM(nn.Module):
    def __init__(self, cin, red, bins=(1, 2, 3, 6)):
        super().__init__()
        self.features = nn.ModuleList([nn.Sequential(nn.AdaptiveAvgPool2d(b), nn.Conv2d(cin, red, 1, bias=False),
                                                     nn.BatchNorm2d(red), nn.ReLU(inplace=True)) for b in bins])

    def forward(self, x):
        return torch.cat([x] + [F.interpolate(f(x), x.shape[2:], mode="bilinear", align_corners=True) for f in self.features], 1)


class ASPP(nn.Module):
    def __init__(self, cin, cout, rates=(6, 12, 18)):
        super().__init__()
        m = [nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())]
        m += [nn.Sequential(nn.Conv2d(cin, cout, 3, padding=r, dilation=r, bias=False), nn.BatchNorm2d(cout), nn.ReLU()) for r in rates]
        m.append(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()))
        self.convs = nn.ModuleList(m)

    def forward(self, x):
        r = [c(x) for c in self.convs[:-1]]
        r.append(F.interpolate(self.convs[-1](x), x.shape[2:], mode="bilinear", align_corners=True))
        return torch.cat(r, 1)


class SegNet(nn.Module):
    """semseg PSPNet / DDC-AT DeepLabV3 (and their DDC-AT variants) on a dilated deep-stem ResNet."""

    def __init__(self, arch, layers, width, classes, ddcat):
        super().__init__()
        self.ddcat = ddcat
        block = Bottleneck if layers >= 50 else BasicBlock
        exp = 4 if layers >= 50 else 1
        depths = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3]}[layers]
        c = lambda v: ch(v, width)
        self.layer0 = nn.Sequential(
            nn.Conv2d(3, c(64), 3, 2, 1, bias=False), nn.BatchNorm2d(c(64)), nn.ReLU(inplace=True),
            nn.Conv2d(c(64), c(64), 3, 1, 1, bias=False), nn.BatchNorm2d(c(64)), nn.ReLU(inplace=True),
            nn.Conv2d(c(64), c(128), 3, 1, 1, bias=False), nn.BatchNorm2d(c(128)), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1))
        cin, outs = c(128), []
        for s in range(1, 5):
            planes, dil, stride = c(64 << (s - 1)), {3: 2, 4: 4}.get(s, 1), 2 if s == 2 else 1
            blocks = []
            for b in range(depths[s - 1]):
                down = nn.Sequential(nn.Conv2d(cin, planes * exp, 1, stride if b == 0 else 1, bias=False), nn.BatchNorm2d(planes * exp)) if b == 0 else None
                blocks.append(block(cin, planes, stride if b == 0 else 1, dil, down))
                cin = planes * exp
            setattr(self, "layer%d" % s, nn.Sequential(*blocks))
            outs.append(cin)
        c3, c4 = outs[2], outs[3]
        if arch == "psp":
            self.ppm = PPM(c4, c4 // 4)
            self.context = self.ppm
            fea, mid, k, amid = c4 * 2, c(512), 3, c(256)
        else:
            self.aspp = ASPP(c4, c(256))
            self.context = self.aspp
            fea, mid, k, amid = c(256) * 5, c(256), 1, c(256)
        if ddcat:
            self.cls1, self.mask1, self.cls2 = head(fea, mid, classes, k), head(fea, mid, 2, k), head(fea, mid, classes, k)
            self.aux_cls1 = head(c3, amid, classes, k)
        else:
            self.cls, self.aux = head(fea, mid, classes, k), head(c3, amid, classes, k)

    def forward(self, x, every_head=True, aux=True):
        h, w = x.shape[2:]
        up = lambda t: F.interpolate(t, size=(h, w), mode="bilinear", align_corners=True)
        x3 = self.layer3(self.layer2(self.layer1(self.layer0(x))))
        f = self.context(self.layer4(x3))
        a = up((self.aux_cls1 if self.ddcat else self.aux)(x3)) if aux else None
        if not self.ddcat:
            return dict(out=up(self.cls(f)), aux=a)
        normal = up(self.cls1(f))
        if not every_head:
            return dict(out=normal, cls1=normal, aux=a)
        adver, mask = up(self.cls2(f)), up(self.mask1(f))
        ind = mask.max(1)[1].unsqueeze(1).expand_as(adver).float()
        return dict(out=ind * adver + (1 - ind) * normal, cls1=normal, mask=mask, aux=a)

    def optimizer(self, lr=1e-4):
        bb = [p for n, p in self.named_parameters() if n.startswith("layer")]
        hd = [p for n, p in self.named_parameters() if not n.startswith("layer") and not n.startswith("context.")]
        return torch.optim.SGD([{"params": bb}, {"params": hd, "lr": lr * 10}], lr=lr, momentum=0.9, weight_decay=1e-4)


def norm(x01):
    return (x01 - MEAN) / STD


def ce(logits, y, ignore=255):
    return F.cross_entropy(logits, y, ignore_index=ignore)


def train_step(model, opt, x01, y, targets=None):
    model.train()
    o = model(norm(x01))
    loss = ce(o["out"], y) + 0.4 * ce(o["aux"], y)
    if targets is not None:
        loss = loss + F.cross_entropy(o["mask"], targets)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


# ---------- the original procedure ----------

def original_bim(model, opt, x01, y, eps=0.03, steps=3, ddcat=False):
    """DDC-AT repo BIM: eval mode, indicate=1 forwards (all heads + aux + losses), loss.backward() (weight gradients
    too), an extra forward per step for the routed prediction (DDC-AT) and one on the final adversary."""
    model.eval()
    lo, hi = x01 - eps, x01 + eps
    adv = x01.clone()
    routed_clean = None
    for s in range(steps):
        xv = norm(adv).detach().requires_grad_(True)
        o = model(xv)
        main = ce(o["cls1"] if ddcat else o["out"], y)
        loss = main + 0 * ce(o["aux"], y)
        if ddcat:
            loss = loss + 0 * F.cross_entropy(o["mask"], torch.zeros_like(y))
        opt.zero_grad()
        loss.backward()
        g = xv.grad
        if ddcat:
            with torch.no_grad():
                r = model(norm(adv))["out"].max(1)[1]  # adver_result_max of FGSM (on the step's input)
            if s == 0:
                routed_clean = r
        adv = torch.min(torch.max(adv + eps / steps * torch.sign(g), lo), hi).clamp(0, 1).detach()
        model.zero_grad()
    with torch.no_grad():
        final = model(norm(adv))
    model.train()
    targets = None
    if ddcat:
        targets = (final["out"].max(1)[1] != routed_clean).long()
    return adv, targets


def original_iteration(model, opt, x01, y, regime):
    n = x01.shape[0]
    h = n // 2
    if regime == "nodefense":
        return train_step(model, opt, x01, y)
    adv, targets = original_bim(model, opt, x01, y, ddcat=regime == "ddcat")
    final = torch.cat([x01[:h], adv[h:]])
    if regime == "sat":
        return train_step(model, opt, final, y)
    targets = torch.cat([targets[:h], torch.zeros_like(targets[h:])])
    return train_step(model, opt, final, y, targets)


# ---------- the lean procedure (RobustSeg's) ----------

def lean_bim(model, x01, y, eps=0.03, steps=3):
    model.eval()
    lo, hi = (x01 - eps).clamp(0, 1), (x01 + eps).clamp(0, 1)
    adv = x01.clone()
    for _ in range(steps):
        xv = adv.detach().requires_grad_(True)
        loss = ce(model(norm(xv), every_head=False, aux=False)["out"], y)
        g, = torch.autograd.grad(loss, [xv])
        adv = torch.min(torch.max(adv + eps / steps * torch.sign(g), lo), hi).detach()
    model.train()
    return adv


def lean_iteration(model, opt, x01, y, regime):
    n = x01.shape[0]
    h = n // 2
    if regime == "nodefense":
        return train_step(model, opt, x01, y)
    if regime == "sat":
        adv = lean_bim(model, x01[h:], y[h:])
        return train_step(model, opt, torch.cat([x01[:h], adv]), y)
    adv = lean_bim(model, x01, y)
    model.eval()
    with torch.no_grad():
        a = model(norm(x01[:h]), aux=False)["out"].max(1)[1]
        b = model(norm(adv[:h]), aux=False)["out"].max(1)[1]
    model.train()
    targets = torch.cat([(a != b).long(), torch.zeros_like(y[h:])])
    return train_step(model, opt, torch.cat([x01[:h], adv[h:]]), y, targets)


def time_it(fn, iters):
    fn()  # warm-up
    return robustseg_cli.median_ms(fn, iters)


def ours_command(a, regime):
    return robustseg_cli.command() + ["bench", "train",
           "--regime", regime, "--arch", a.arch, "--layers", str(a.layers), "--width", str(a.width), "--size", str(a.size),
           "--batch", str(a.batch), "--classes", str(a.classes), "--device", "cpu"]


def ours(a, regime, root):
    out = subprocess.run(ours_command(a, regime), capture_output=True, text=True, cwd=root)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        return None
    for line in out.stdout.splitlines():
        if line.startswith("train_iteration,"):
            return float(line.split(",")[3])
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--regime", default="all")
    p.add_argument("--arch", default="psp")
    p.add_argument("--layers", type=int, default=18)
    p.add_argument("--width", type=float, default=0.5)
    p.add_argument("--size", type=int, default=129)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--classes", type=int, default=21)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--no-ours", action="store_true")
    p.add_argument("--repeat", type=int, default=1,
                   help="per regime, time the original, the lean and ours back to back this many times and keep each best (noisy machines)")
    p.add_argument("--paired", type=int, default=0,
                   help="also time ours against lean as this many alternating pairs of single iterations; report the median pair ratio and its quartiles")
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(1)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    regimes = ["nodefense", "sat", "ddcat"] if a.regime == "all" else [a.regime]
    print(f"train_iteration: {a.arch}{a.layers} width {a.width}, batch {a.batch}x3x{a.size}x{a.size}, {a.classes} classes, torch {torch.__version__} (2 threads)")
    print(f"{'regime':<10} {'torch original ms':>18} {'torch lean ms':>14} {'ours ms':>10} {'ours/original':>14} {'ours/lean':>10}")
    for regime in regimes:
        model = SegNet(a.arch, a.layers, a.width, a.classes, regime == "ddcat")
        opt = model.optimizer()
        x = torch.rand(a.batch, 3, a.size, a.size)
        y = torch.randint(0, a.classes, (a.batch, a.size, a.size))
        y[torch.rand(y.shape) < 0.05] = 255
        t_orig = t_lean = float("inf")
        t_ours = None
        for _ in range(a.repeat):
            t_orig = min(t_orig, time_it(lambda: original_iteration(model, opt, x, y, regime), a.iters))
            t_lean = min(t_lean, time_it(lambda: lean_iteration(model, opt, x, y, regime), a.iters))
            if not a.no_ours:
                t = ours(a, regime, root)
                t_ours = t if t_ours is None else min(t_ours, t)
        r = lambda t, b: "-" if t is None else f"{t / b:.2f}x"
        print(f"{regime:<10} {t_orig:>18.1f} {t_lean:>14.1f} {('-' if t_ours is None else f'{t_ours:.1f}'):>10} {r(t_ours, t_orig):>14} {r(t_ours, t_lean):>10}", flush=True)
        if a.paired > 0 and not a.no_ours:
            pl, po, pr, q1, q3 = robustseg_cli.paired(ours_command(a, regime) + ["--serve"], lambda: lean_iteration(model, opt, x, y, regime), a.paired, root)
            print(f"{'  paired':<10} {a.paired:>14} pairs: torch lean {pl:.1f} ms, ours {po:.1f} ms, ours/lean {pr:.2f}x "
                  f"(quartiles {q1:.2f}-{q3:.2f})", flush=True)


if __name__ == "__main__":
    main()
