#!/usr/bin/python3
"""Train the same small PSPNet in PyTorch on the synthetic data with semseg's recipe (SGD, backbone lr / heads
10x, momentum, wd, poly 0.9 per iteration, CE ignore 255 + 0.4 aux), then report the val mIoU.
Augmentation: none | flipblur (random h-flip + cv2-like 5x5 Gaussian blur, p 0.5 each) | semseg (plus random
scale and rotation as one affine warp, image bilinear / label nearest, mean / 255 padding)."""
import argparse
import math
import time

import torch
import torch.nn.functional as F

import common

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="/tmp/par/data")
ap.add_argument("--epochs", type=int, default=8)
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--lr", type=float, default=0.01)
ap.add_argument("--momentum", type=float, default=0.9)
ap.add_argument("--wd", type=float, default=1e-4)
ap.add_argument("--width", type=float, default=0.25)
ap.add_argument("--classes", type=int, default=5)
ap.add_argument("--aug", default="flipblur", choices=["none", "flipblur", "semseg"])
ap.add_argument("--scale", default="0.75,1.5")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--init", default="", help="safetensors state dict to start from (else kaiming fan_out)")
ap.add_argument("--head-init", default="kaiming", choices=["kaiming", "default", "lastdefault"],
                help="heads' convs: kaiming fan_out (ours) | PyTorch default (semseg's heads) | default only for the last 1x1 convs")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--save", default="")
ap.add_argument("--opt", default="sgd", choices=["sgd", "adam"], help="adam: diagnostic only (is the task learnable fast?)")
ap.add_argument("--save-init", default="", help="write the initial weights (safetensors) for `weight:` in our config")
ap.add_argument("--eval-every", type=int, default=0, help="epochs between val evaluations (0: only at the end)")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

x, y = common.load_split(a.data, "train.txt")
vx, vy = common.load_split(a.data, "val.txt")
m = common.build(width=a.width, classes=a.classes)
if a.init:
    sd, _ = common.read_safetensors(a.init)
    mine = common.state_dict(m)
    m.load_state_dict({k: sd[k].to(mine[k].dtype) for k in mine}, strict=False)
else:
    common.kaiming_init(m, a.seed)
    if a.head_init != "kaiming":
        for n, mod in m.named_modules():
            if isinstance(mod, torch.nn.Conv2d) and not n.startswith("layer") and (a.head_init == "default" or mod.bias is not None):
                mod.reset_parameters()
if a.save_init:
    common.write_safetensors(a.save_init, common.state_dict(m))
opt = (torch.optim.SGD(common.param_groups(m, a.lr), lr=a.lr, momentum=a.momentum, weight_decay=a.wd) if a.opt == "sgd"
       else torch.optim.Adam(common.param_groups(m, a.lr), lr=a.lr))

# cv2.GaussianBlur((5,5), 0): sigma = 0.3*((5-1)*0.5-1)+0.8 = 1.1, BORDER_REFLECT_101.
g1 = torch.exp(-(torch.arange(5.) - 2) ** 2 / (2 * 1.1 ** 2)); g1 /= g1.sum()
K = (g1[:, None] * g1[None, :]).view(1, 1, 5, 5).repeat(3, 1, 1, 1)
MEAN = common.MEAN


def augment(xb, yb, gen):
    n = xb.shape[0]
    xb, yb = xb.clone(), yb.clone()
    if a.aug == "semseg":
        smin, smax = map(float, a.scale.split(","))
        s = smin + (smax - smin) * torch.rand(n, generator=gen)
        rot = torch.rand(n, generator=gen) < 0.5
        ang = torch.where(rot, (torch.rand(n, generator=gen) * 20 - 10) * math.pi / 180, torch.zeros(n))
        H = xb.shape[2]
        # random crop offset of the scaled image (scale>1: window inside; scale<1: padded, centred-ish)
        span = (s - 1).clamp(min=0)
        tx = (torch.rand(n, generator=gen) * 2 - 1) * span
        ty = (torch.rand(n, generator=gen) * 2 - 1) * span
        cos, sin = torch.cos(ang) / s, torch.sin(ang) / s
        theta = torch.stack([torch.stack([cos, -sin, tx / s], 1), torch.stack([sin, cos, ty / s], 1)], 1)
        grid = F.affine_grid(theta, xb.shape, align_corners=True)
        pad = MEAN.expand(n, 3, H, H)
        xi = F.grid_sample(xb - pad, grid, mode="bilinear", padding_mode="zeros", align_corners=True) + pad
        yl = F.grid_sample((yb.float() + 1).unsqueeze(1), grid, mode="nearest", padding_mode="zeros", align_corners=True)
        yl = yl.squeeze(1).long() - 1
        yl[yl < 0] = 255
        xb, yb = xi, yl
    if a.aug in ("flipblur", "semseg"):
        blur = torch.rand(n, generator=gen) < 0.5
        if blur.any():
            xp = F.pad(xb[blur], (2, 2, 2, 2), mode="reflect")
            xb[blur] = F.conv2d(xp, K, groups=3)
        flip = torch.rand(n, generator=gen) < 0.5
        xb[flip] = xb[flip].flip(-1)
        yb[flip] = yb[flip].flip(-1)
    return xb, yb


gen = torch.Generator().manual_seed(a.seed)
per_epoch = len(x) // a.batch
max_iter = a.epochs * per_epoch
it = 0
t0 = time.time()
for ep in range(a.epochs):
    m.train()
    perm = torch.randperm(len(x), generator=gen)
    for b in range(per_epoch):
        idx = perm[b * a.batch:(b + 1) * a.batch]
        xb, yb = augment(x[idx], y[idx], gen)
        out = m(common.normalize(xb))
        main = F.cross_entropy(out["logits"], yb, ignore_index=255)
        aux = F.cross_entropy(out["aux"], yb, ignore_index=255)
        loss = main + 0.4 * aux
        opt.zero_grad()
        loss.backward()
        opt.step()
        it += 1
        f = (1 - it / max_iter) ** 0.9  # semseg: set after the step with current_iter = it
        opt.param_groups[0]["lr"] = a.lr * f
        opt.param_groups[1]["lr"] = a.lr * 10 * f
        if it % 25 == 0 or it == 1:
            acc = ((out["logits"].argmax(1) == yb) & (yb != 255)).sum().item() / max(1, (yb != 255).sum().item())
            print(f"iter {it}/{max_iter} main {main.item():.4f} aux {aux.item():.4f} acc {acc:.3f} {time.time() - t0:.0f}s", flush=True)
    if a.eval_every and (ep + 1) % a.eval_every == 0 and ep + 1 < a.epochs:
        print(f"epoch {ep + 1} val", common.evaluate(m, vx, vy, a.classes), flush=True)
print(f"final ({a.epochs} epochs, {it} iterations, {time.time() - t0:.0f}s) val", common.evaluate(m, vx, vy, a.classes), flush=True)
if a.save:
    common.write_safetensors(a.save, common.state_dict(m))
