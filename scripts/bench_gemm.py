#!/usr/bin/env python3
"""Compare `robustseg bench gemm` with torch.matmul (2 threads) in the same run.

Usage: /usr/bin/python3 scripts/bench_gemm.py [--sizes 512,1024] [--transa 0|1] [--transb 0|1]
       [--device cpu] [--no-build]
Both sides time C = op(A) op(B) for square float32 matrices after >= 1 s of warm-up and print
median GFLOP/s; the ratio is ours / torch.
"""
import argparse
import csv
import io
import os
import subprocess
import sys
import time

import torch

import robustseg_cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def torch_gflops(m, n, k, ta, tb, warmup=1.0, seconds=2.0):
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(0)
    a = torch.rand((k, m) if ta else (m, k), generator=g) * 2 - 1
    b = torch.rand((n, k) if tb else (k, n), generator=g) * 2 - 1
    aa, bb = (a.t() if ta else a), (b.t() if tb else b)
    out = torch.empty(m, n)
    t0 = time.perf_counter()
    runs = 0
    while runs < 2 or time.perf_counter() - t0 < warmup:
        torch.matmul(aa, bb, out=out)
        runs += 1
    times = []
    t0 = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - t0 < seconds:
        s = time.perf_counter()
        torch.matmul(aa, bb, out=out)
        times.append(time.perf_counter() - s)
    times.sort()
    med = times[len(times) // 2]
    flops = 2.0 * m * n * k
    return flops / med / 1e9, med * 1e3, flops / times[0] / 1e9


def ours(m, n, k, ta, tb, device, build):
    cmd = robustseg_cli.command(build) + ["bench", "gemm", "--m", str(m), "--n", str(n), "--k", str(k),
            "--transa", str(ta), "--transb", str(tb), "--device", device]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"robustseg bench gemm failed (exit {r.returncode}):\n{r.stderr}{r.stdout}")
    rows = [row for row in csv.DictReader(io.StringIO(r.stdout[r.stdout.index("case,"):]))]
    row = next(x for x in rows if x["case"] == "gemm")
    return float(row["gflops"]), float(row["median_ms"]), 2.0 * m * n * k / (float(row["min_ms"]) * 1e6)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="512,1024", help="comma-separated square sizes")
    p.add_argument("--transa", type=int, choices=[0, 1], default=0)
    p.add_argument("--transb", type=int, choices=[0, 1], default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-build", action="store_true", help="use the existing Release build")
    args = p.parse_args()
    build = not args.no_build
    # Median figures decide the ratio; "best" (from the fastest run) shows what a quiet machine gives.
    print(f"{'shape':>16} {'ours GFLOP/s':>13} {'ours ms':>9} {'ours best':>10} {'torch GFLOP/s':>14} {'torch ms':>9} {'torch best':>11} {'ratio':>6}")
    for s in (int(x) for x in args.sizes.split(",")):
        og, oms, ob = ours(s, s, s, args.transa, args.transb, args.device, build)
        build = False
        tg, tms, tb = torch_gflops(s, s, s, args.transa, args.transb)
        shape = f"{s}x{s}x{s}" + ("_tA" if args.transa else "") + ("_tB" if args.transb else "")
        print(f"{shape:>16} {og:13.1f} {oms:9.3f} {ob:10.1f} {tg:14.1f} {tms:9.3f} {tb:11.1f} {og / tg:6.2f}", flush=True)


if __name__ == "__main__":
    main()
