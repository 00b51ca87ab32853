#!/usr/bin/python3
"""PyTorch reference values for bilinear interpolation (align_corners=True), softmax / log-softmax and
cross-entropy (ignore_index=255): forward and input gradients for a fixed random upstream gradient.
Run: /usr/bin/python3 scripts/gen_interp_ce_reference.py  -> tests/RobustSeg.Engine.Tests/Data/torch/*.npz"""
import os
import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "RobustSeg.Engine.Tests", "Data", "torch")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)


def save(name, **arrays):
    path = os.path.join(OUT, name + ".npz")
    tmp = path + ".tmp.npz"
    np.savez_compressed(tmp, **{k: v.detach().numpy() if torch.is_tensor(v) else v for k, v in arrays.items()})
    os.replace(tmp, path)


def interp(name, shape, out):
    x = torch.randn(*shape, dtype=torch.float32, requires_grad=True)
    y = F.interpolate(x, size=out, mode="bilinear", align_corners=True)
    dy = torch.randn_like(y)
    (dx,) = torch.autograd.grad(y, x, dy)
    save(name, x=x, y=y, dy=dy, dx=dx, out=np.array(out, dtype=np.int32))


interp("interp_up_7x5_to_33x17", (1, 3, 7, 5), (33, 17))
interp("interp_down_57_to_29", (1, 1, 57, 57), (29, 29))
interp("interp_odd_5x7_to_9x4", (2, 3, 5, 7), (9, 4))
interp("interp_in_1x1", (1, 2, 1, 1), (3, 4))
interp("interp_out_1x1", (1, 2, 5, 6), (1, 1))
interp("interp_psp_like_9_to_65", (1, 2, 9, 9), (65, 65))

# softmax / log-softmax over dim 1
x = (torch.randn(2, 5, 3, 4) * 3).requires_grad_(True)
dy = torch.randn(2, 5, 3, 4)
ys = F.softmax(x, dim=1)
(dxs,) = torch.autograd.grad(ys, x, dy)
yl = F.log_softmax(x, dim=1)
(dxl,) = torch.autograd.grad(yl, x, dy)
save("softmax_2x5x3x4", x=x, dy=dy, y_softmax=ys, dx_softmax=dxs, y_log=yl, dx_log=dxl)


def ce(name, n, k, h, w, ignore_frac=0.2, scale=3.0):
    x = (torch.randn(n, k, h, w) * scale).requires_grad_(True)
    labels = torch.randint(0, k, (n, h, w))
    labels[torch.rand(n, h, w) < ignore_frac] = 255
    loss = F.cross_entropy(x, labels, ignore_index=255)
    (dx,) = torch.autograd.grad(loss, x)
    per = F.cross_entropy(x, labels, ignore_index=255, reduction="none")
    w_pp = torch.randn(n, h, w)
    (dx_pp,) = torch.autograd.grad(per, x, w_pp)
    save(name, logits=x, labels=labels.to(torch.int32).numpy(), loss=loss.reshape(1), dx=dx,
         per_pixel=per, dy_per_pixel=w_pp, dx_per_pixel=dx_pp)


ce("ce_2x5x6x7", 2, 5, 6, 7)
ce("ce_long_2x21x13x13", 2, 21, 13, 13)
print("wrote", sorted(os.listdir(OUT)))
