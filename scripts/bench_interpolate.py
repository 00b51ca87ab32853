#!/usr/bin/python3
"""Compares `robustseg bench interpolate` and `robustseg bench cross_entropy` with PyTorch
(torch.nn.functional.interpolate(..., mode='bilinear', align_corners=True) and F.cross_entropy with
ignore_index=255) at 2 threads in the same run, and prints both timings and the ratio ours/torch.
Usage: /usr/bin/python3 scripts/bench_interpolate.py [--n 2 --c 21 --h 29 --w 29 --oh 225 --ow 225 --k 21 --ch 225 --cw 225]"""
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


def measure(fn, warmup=1.0, min_runs=5, min_seconds=1.0):
    """Same protocol as BenchRunner.Measure: warm up >= 1 s, then >= 5 runs and >= 1 s; median and min (ms)."""
    t0 = time.perf_counter()
    n = 0
    while n < 2 or time.perf_counter() - t0 < warmup:
        fn()
        n += 1
    times = []
    t0 = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - t0 < min_seconds and len(times) < 200):
        s = time.perf_counter()
        fn()
        times.append((time.perf_counter() - s) * 1e3)
    times.sort()
    return times[len(times) // 2], times[0]


def torch_rows(a):
    torch.manual_seed(0)
    rows = {}
    x = torch.rand(a.n, a.c, a.h, a.w) * 2 - 1
    dy = torch.rand(a.n, a.c, a.oh, a.ow) * 2 - 1
    size = (a.oh, a.ow)
    with torch.no_grad():
        rows["interpolate_fwd"] = measure(lambda: F.interpolate(x, size=size, mode="bilinear", align_corners=True))
    xg = x.clone().requires_grad_(True)
    y = F.interpolate(xg, size=size, mode="bilinear", align_corners=True)
    rows["interpolate_bwd"] = measure(lambda: torch.autograd.grad(y, xg, dy, retain_graph=True))

    def fwd_bwd():
        yy = F.interpolate(xg, size=size, mode="bilinear", align_corners=True)
        torch.autograd.grad(yy, xg, dy)
    rows["interpolate_fwd_bwd"] = measure(fwd_bwd)

    logits = torch.rand(a.n, a.k, a.ch, a.cw) * 8 - 4
    labels = torch.randint(0, a.k, (a.n, a.ch, a.cw))
    labels[torch.rand(a.n, a.ch, a.cw) < 0.05] = 255
    with torch.no_grad():
        rows["cross_entropy_fwd"] = measure(lambda: F.cross_entropy(logits, labels, ignore_index=255))
    lg = logits.clone().requires_grad_(True)

    def ce_both():
        torch.autograd.grad(F.cross_entropy(lg, labels, ignore_index=255), lg)
    rows["cross_entropy"] = measure(ce_both)
    return rows


def ours(suite, args):
    cmd = robustseg_cli.command() + ["bench", suite] + args
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    text = out[out.index("case,"):]
    return {r["case"]: (float(r["median_ms"]), float(r["min_ms"])) for r in csv.DictReader(io.StringIO(text))}


def main():
    p = argparse.ArgumentParser()
    for k, v in dict(n=2, c=21, h=29, w=29, oh=225, ow=225, k=21, ch=225, cw=225).items():
        p.add_argument("--" + k, type=int, default=v)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    torch.set_num_threads(2)
    mine = ours("interpolate", ["--n", str(a.n), "--c", str(a.c), "--h", str(a.h), "--w", str(a.w),
                                "--oh", str(a.oh), "--ow", str(a.ow), "--device", a.device])
    mine.update(ours("cross_entropy", ["--n", str(a.n), "--k", str(a.k), "--h", str(a.ch), "--w", str(a.cw),
                                       "--device", a.device]))
    ref = torch_rows(a)
    print(f"interpolate {a.n}x{a.c}x{a.h}x{a.w}->{a.oh}x{a.ow}, cross_entropy {a.n}x{a.k}x{a.ch}x{a.cw}; "
          f"torch {torch.__version__} at {torch.get_num_threads()} threads; ours on {a.device}")
    print(f"{'case':22s} {'ours med':>9s} {'torch med':>9s} {'ratio':>6s}   {'ours min':>9s} {'torch min':>9s} {'ratio':>6s}")
    for case in ["interpolate_fwd", "interpolate_bwd", "interpolate_fwd_bwd", "cross_entropy_fwd", "cross_entropy"]:
        (om, on), (tm, tn) = mine[case], ref[case]
        print(f"{case:22s} {om:9.3f} {tm:9.3f} {om / tm:6.2f}   {on:9.3f} {tn:9.3f} {on / tn:6.2f}")


if __name__ == "__main__":
    main()
