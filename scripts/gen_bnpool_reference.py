#!/usr/bin/python3
"""Reference values for batch norm, max pooling and adaptive average pooling from PyTorch (CPU, float32).

Writes tests/RobustSeg.Engine.Tests/Data/torch/{batchnorm,maxpool,adaptive_avg_pool}.npz. Keys are
"<case>.<array>"; the C# tests (BatchNormTests, PoolTests) read them with Npy.ReadNpz.
Long-reduction cases generate x and dy from an integer formula (pattern() below, mirrored in the tests)
so that only outputs are stored and the files stay small.

Run: /usr/bin/python3 scripts/gen_bnpool_reference.py
"""
import os
import zlib
import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "RobustSeg.Engine.Tests", "Data", "torch")


def pattern(shape, mul, add, offset):
    """((i*mul + add) % 1009) / 504.5 - 1 + offset, i the flat index: exact in float32 on both sides."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    v = ((i * mul + add) % 1009).astype(np.float64) / 504.5 - 1.0 + offset
    return v.astype(np.float32).reshape(shape)


def save(name, arrays):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    tmp = path + ".tmp.npz"
    np.savez(tmp, **{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()})
    os.replace(tmp, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(arrays)} arrays)")


def batchnorm_case(out, case, x, dy, training, affine=True, store_inputs=True, sample=1):
    c = x.shape[1]
    g = torch.Generator().manual_seed(zlib.crc32(case.encode()))
    rm0 = (torch.rand(c, generator=g) * 0.4 - 0.2).float()
    rv0 = (torch.rand(c, generator=g) * 1.5 + 0.5).float()
    w = (torch.rand(c, generator=g) + 0.5).float() if affine else None
    b = (torch.rand(c, generator=g) - 0.5).float() if affine else None
    xt = torch.from_numpy(x).clone().requires_grad_(True)
    wt = w.clone().requires_grad_(True) if affine else None
    bt = b.clone().requires_grad_(True) if affine else None
    rm, rv = rm0.clone(), rv0.clone()
    y = F.batch_norm(xt, rm, rv, wt, bt, training=training, momentum=0.1, eps=1e-5)
    y.backward(torch.from_numpy(dy))
    p = case + "."
    if store_inputs:
        out[p + "x"] = x
        out[p + "dy"] = dy
    out[p + "rm0"] = rm0.numpy()
    out[p + "rv0"] = rv0.numpy()
    if affine:
        out[p + "w"] = w.numpy()
        out[p + "b"] = b.numpy()
        out[p + "dw"] = wt.grad.numpy()
        out[p + "db"] = bt.grad.numpy()
    # Long cases store every sample-th value of the big outputs only.
    out[p + "y"] = y.detach().numpy().reshape(-1)[::sample]
    out[p + "dx"] = xt.grad.numpy().reshape(-1)[::sample]
    out[p + "rm1"] = rm.numpy()
    out[p + "rv1"] = rv.numpy()


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    bn = {}
    for case, shape, training, affine in [
        ("train_2x4x5x7", (2, 4, 5, 7), True, True),
        ("eval_2x4x5x7", (2, 4, 5, 7), False, True),
        ("train_odd_3x3x7x5", (3, 3, 7, 5), True, True),
        ("train_noaffine_2x3x4x4", (2, 3, 4, 4), True, False),
        ("train_1x1_5x3x1x1", (5, 3, 1, 1), True, True),
        ("eval_n1_1x1_1x3x1x1", (1, 3, 1, 1), False, True),
    ]:
        x = (rng.standard_normal(shape) * 1.5 + 0.7).astype(np.float32)
        dy = rng.standard_normal(shape).astype(np.float32)
        batchnorm_case(bn, case, x, dy, training, affine)
    # Long per-channel reductions (8712 values per channel), mean offset 3 to expose cancellation.
    shape = (8, 3, 33, 33)
    batchnorm_case(bn, "train_long_8x3x33x33", pattern(shape, 7919, 13, 3.0), pattern(shape, 104729, 7, 0.0),
                   True, store_inputs=False, sample=17)
    save("batchnorm.npz", bn)

    mp = {}
    for case, shape, k, s, pad, ties in [
        ("stem_2x3x9x9_k3s2p1", (2, 3, 9, 9), 3, 2, 1, False),
        ("stem_1x2x8x7_k3s2p1", (1, 2, 8, 7), 3, 2, 1, False),
        ("ties_2x2x9x8_k3s2p1", (2, 2, 9, 8), 3, 2, 1, True),
        ("floor_1x2x7x5_k2s2p0", (1, 2, 7, 5), 2, 2, 0, False),
        ("overlap_1x2x6x6_k3s1p1", (1, 2, 6, 6), 3, 1, 1, True),
        ("k5s3p2_1x1x11x10", (1, 1, 11, 10), 5, 3, 2, False),
    ]:
        x = (rng.integers(0, 3, shape) if ties else rng.standard_normal(shape)).astype(np.float32)
        xt = torch.from_numpy(x).clone().requires_grad_(True)
        y = F.max_pool2d(xt, k, s, pad)
        dy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(torch.from_numpy(dy))
        mp.update({case + ".x": x, case + ".dy": dy, case + ".y": y.detach().numpy(), case + ".dx": xt.grad.numpy()})
    save("maxpool.npz", mp)

    ap = {}
    # Sizes 29/57/60 with the PPM bins: x and dy from pattern() (not stored), dx stored every 7th value.
    for size in (29, 57, 60):
        x = pattern((1, 2, size, size), 7919, size, 0.0)
        for b in (1, 2, 3, 6):
            xt = torch.from_numpy(x).clone().requires_grad_(True)
            y = F.adaptive_avg_pool2d(xt, (b, b))
            dy = pattern(tuple(y.shape), 104729, b, 0.0)
            y.backward(torch.from_numpy(dy))
            p = f"s{size}_b{b}."
            ap.update({p + "y": y.detach().numpy(), p + "dx": xt.grad.numpy().reshape(-1)[::7]})
    for case, shape, oh, ow in [("up_1x2x5x7_to_6x9", (1, 2, 5, 7), 6, 9), ("mixed_2x1x10x7_to_3x6", (2, 1, 10, 7), 3, 6)]:
        x = rng.standard_normal(shape).astype(np.float32)
        xt = torch.from_numpy(x).clone().requires_grad_(True)
        y = F.adaptive_avg_pool2d(xt, (oh, ow))
        dy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(torch.from_numpy(dy))
        ap.update({case + ".x": x, case + ".dy": dy, case + ".y": y.detach().numpy(), case + ".dx": xt.grad.numpy()})
    save("adaptive_avg_pool.npz", ap)


if __name__ == "__main__":
    main()
