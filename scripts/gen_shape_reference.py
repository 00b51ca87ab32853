#!/usr/bin/python3
"""Reference values for the engine's shape ops from PyTorch (CPU, float32): torch.narrow, F.pad (one axis),
torch.cat, the sliding window's crop/pad and the (N,1,...) -> (N,C,...) expand, with the input gradient of
sum(y * w) for a fixed weight pattern.

Writes tests/RobustSeg.Engine.Tests/Data/torch/shape_ops.npz (keys "x", "w", "<case>.y", "<case>.dx"),
read by ShapeOpsTests.AgreesWithPyTorch.

Run: /usr/bin/python3 scripts/gen_shape_reference.py
"""
import os
import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "RobustSeg.Engine.Tests", "Data", "torch")
SHAPE = (2, 3, 4, 5)


def pad_axis(x, axis, before, after, value):
    # F.pad lists (last-dim-before, last-dim-after, ...): put the padding on `axis` only.
    spec = [0, 0] * (x.dim() - 1 - axis) + [before, after]
    return F.pad(x, spec, value=value)


def main():
    x0 = (torch.arange(int(np.prod(SHAPE)), dtype=torch.float32).reshape(SHAPE) * 0.37 - 20.0)
    w = torch.linspace(-1.5, 2.0, 1000, dtype=torch.float32)
    cases = {}
    for a in range(4):
        cases[f"narrow{a}"] = lambda x, a=a: torch.narrow(x, a, 1, SHAPE[a] - 1)
        cases[f"pad{a}"] = lambda x, a=a: pad_axis(x, a, 2, 1, 0.25)
        cases[f"cat{a}"] = lambda x, a=a: torch.cat([x, torch.narrow(x, a, 0, 1)], a)
    cases["crop2d"] = lambda x: x[:, :, 1:3, 2:5]
    cases["pad2d"] = lambda x: F.pad(x, (2, 8 - 5 - 2, 1, 7 - 4 - 1))
    cases["expand"] = lambda x: x[:, 0:1].expand(2, 6, 4, 5)
    out = {"x": x0.numpy(), "w": w.numpy()}
    for name, op in cases.items():
        x = x0.clone().requires_grad_(True)
        y = op(x)
        (y * w[: y.numel()].reshape(y.shape)).sum().backward()
        out[name + ".y"] = y.detach().contiguous().numpy()
        out[name + ".dx"] = x.grad.numpy()
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "shape_ops.npz")
    tmp = path + ".tmp.npz"
    np.savez(tmp, **{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()})
    os.replace(tmp, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(out)} arrays)")


if __name__ == "__main__":
    main()
