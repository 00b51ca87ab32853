#!/usr/bin/python3
"""Times BatchNorm2d (training mode) in PyTorch (2 threads) and in `robustseg bench batchnorm` in the
same run, and prints both with the ratio ours / torch (lower is better; the target is within 2x), for the
median and for the min (the uncontended figure on a shared machine).

Run: /usr/bin/python3 scripts/bench_batchnorm.py [--n 8 --c 256 --h 33 --w 33 --device cpu]
"""
import argparse
import csv
import io
import os
import subprocess
import time

import torch

import robustseg_cli
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def measure(fn, warmup_s=1.0, min_runs=5, min_s=1.0, max_runs=200):
    """Same policy as BenchRunner.Measure: >= 1 s warm-up, then >= 5 runs and >= 1 s; (median, min) in ms."""
    t0 = time.perf_counter()
    k = 0
    while k < 2 or time.perf_counter() - t0 < warmup_s:
        fn()
        k += 1
    times = []
    t0 = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - t0 < min_s and len(times) < max_runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return times[len(times) // 2], times[0]


def torch_times(n, c, h, w):
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(n, c, h, w, generator=g) * 2 - 1 + 0.5).requires_grad_(True)
    dy = torch.rand(n, c, h, w, generator=g) * 2 - 1
    weight = (torch.rand(c, generator=g) + 0.5).requires_grad_(True)
    bias = (torch.rand(c, generator=g) - 0.5).requires_grad_(True)
    rm, rv = torch.zeros(c), torch.ones(c)

    def fwd():
        with torch.no_grad():
            F.batch_norm(x, rm, rv, weight, bias, training=True, momentum=0.1, eps=1e-5)

    y = F.batch_norm(x, rm, rv, weight, bias, training=True, momentum=0.1, eps=1e-5)

    def bwd():
        torch.autograd.grad(y, [x, weight, bias], dy, retain_graph=True)

    def both():
        yy = F.batch_norm(x, rm, rv, weight, bias, training=True, momentum=0.1, eps=1e-5)
        torch.autograd.grad(yy, [x, weight, bias], dy)

    return {"batchnorm_fwd": measure(fwd), "batchnorm_bwd": measure(bwd), "batchnorm_fwd_bwd": measure(both)}


def ours(n, c, h, w, device):
    cmd = robustseg_cli.command() + ["bench", "batchnorm", "--n", str(n), "--c", str(c), "--h", str(h), "--w", str(w), "--device", device]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return {r["case"]: (float(r["median_ms"]), float(r["min_ms"])) for r in csv.DictReader(io.StringIO(out))}


def main():
    ap = argparse.ArgumentParser()
    for k, v in (("n", 8), ("c", 256), ("h", 33), ("w", 33)):
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeat", type=int, default=2,
                    help="alternate both sides this many times and keep each side's best median (shared, noisy machines)")
    a = ap.parse_args()
    mine, theirs = {}, {}
    for _ in range(max(1, a.repeat)):
        # Ours first, so the build does not overlap torch's timing.
        for side, got in ((mine, ours(a.n, a.c, a.h, a.w, a.device)), (theirs, torch_times(a.n, a.c, a.h, a.w))):
            for k, (med, lo) in got.items():
                m0, l0 = side.get(k, (float("inf"), float("inf")))
                side[k] = (min(med, m0), min(lo, l0))
    shape = f"{a.n}x{a.c}x{a.h}x{a.w}"
    # The min is the uncontended figure on a shared machine; the median is what a run typically sees.
    print(f"{'case':20s} {'shape':14s} {'ours_med':>9s} {'torch_med':>9s} {'ratio':>6s} {'ours_min':>9s} {'torch_min':>9s} {'ratio':>6s}")
    for case in ("batchnorm_fwd", "batchnorm_bwd", "batchnorm_fwd_bwd"):
        (m, ml), (t, tl) = mine[case], theirs[case]
        print(f"{case:20s} {shape:14s} {m:9.3f} {t:9.3f} {m / t:6.2f} {ml:9.3f} {tl:9.3f} {ml / tl:6.2f}")


if __name__ == "__main__":
    main()
