#!/usr/bin/python3
"""Writes tests/RobustSeg.Engine.Tests/Data/torch/conv2d_<case>.npz: x, w, (b), y = conv2d(x, w, b) and the
gradients dx, dw, (db) of sum(y * r) for a seeded r (also stored). Run with /usr/bin/python3 (torch CPU)."""
import os
import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "RobustSeg.Engine.Tests", "Data", "torch")

# name: (N, C, H, W, K, kh, kw, stride, padding, dilation, bias)
CASES = {
    "3x3_p1_bias": (2, 3, 9, 11, 4, 3, 3, 1, 1, 1, True),
    "3x3_s2_odd": (2, 3, 11, 13, 5, 3, 3, 2, 1, 1, False),
    "3x3_d2_p2": (1, 4, 12, 10, 3, 3, 3, 1, 2, 2, True),
    "3x3_d6_p6_long": (1, 32, 13, 13, 4, 3, 3, 1, 6, 6, False),
    "1x1_bias": (2, 8, 5, 7, 6, 1, 1, 1, 0, 1, True),
    "1x3_p1": (2, 3, 6, 9, 4, 1, 3, 1, 1, 1, True),
    "7x7_s2_p3": (1, 3, 17, 15, 4, 7, 7, 2, 3, 1, False),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(20261125)
    for name, (n, c, h, w, k, kh, kw, s, p, d, has_b) in CASES.items():
        x = (torch.rand(n, c, h, w, generator=g) * 2 - 1).requires_grad_()
        wt = (torch.rand(k, c, kh, kw, generator=g) * 2 - 1).requires_grad_()
        b = (torch.rand(k, generator=g) * 2 - 1).requires_grad_() if has_b else None
        y = F.conv2d(x, wt, b, stride=s, padding=p, dilation=d)
        r = torch.rand(y.shape, generator=g) * 2 - 1
        (y * r).sum().backward()
        arrays = dict(x=x, w=wt, y=y, r=r, dx=x.grad, dw=wt.grad,
                      geom=torch.tensor([s, p, d], dtype=torch.float32))
        if has_b:
            arrays.update(b=b, db=b.grad)
        arrays = {key: v.detach().numpy().astype(np.float32) for key, v in arrays.items()}
        path = os.path.join(OUT, f"conv2d_{name}.npz")
        tmp = path + ".tmp.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, path)  # atomic: readers never see a half-written file
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
