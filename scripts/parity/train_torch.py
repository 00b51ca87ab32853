#!/usr/bin/python3
"""Train the same small PSPNet in PyTorch on the synthetic data with semseg's recipe (SGD, backbone lr / heads
10x, momentum, wd, poly 0.9 per iteration, CE ignore 255 + 0.4 aux), then report the val mIoU.
Augmentation: none | flipblur (random h-flip + cv2-like 5x5 Gaussian blur, p 0.5 each) | semseg (plus random
scale and rotation as one affine warp, image bilinear / label nearest, mean / 255 padding)."""
import argparse
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
        xb, yb = common.augment(x[idx], y[idx], gen, a.aug, a.scale)
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
