#!/usr/bin/env python3
"""Compare `robustseg bench gemm` with torch.matmul (2 threads) in the same run.

Usage: /usr/bin/python3 scripts/bench_gemm.py [--sizes 512,1024] [--transa 0|1] [--transb 0|1]
       [--device cpu] [--no-build] [--openblas PATH]
Both sides time C = op(A) op(B) for square float32 matrices after >= 1 s of warm-up and print
median GFLOP/s; the ratio is ours / torch in GFLOP/s (above 1: ours faster).

Debian's torch multiplies with the reference BLAS, so its ratio says little about GEMM. --openblas PATH
also times cblas_sgemm of that OpenBLAS library (2 threads) in the same run: a tuned BLAS's figure on the
same machine. No install is needed to get one:
  apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb ob
  ... --openblas ob/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0
"""
import argparse
import csv
import ctypes
import io
import os
import subprocess
import sys
import time

import torch

import robustseg_cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def operands(m, n, k, ta, tb):
    """A (m x k, or k x m stored where ta) and B (k x n, or n x k where tb), uniform in [-1, 1), seeded."""
    g = torch.Generator().manual_seed(0)
    a = torch.rand((k, m) if ta else (m, k), generator=g) * 2 - 1
    b = torch.rand((n, k) if tb else (k, n), generator=g) * 2 - 1
    return a, b


def torch_gflops(m, n, k, ta, tb, warmup=1.0, seconds=2.0):
    torch.set_num_threads(2)
    a, b = operands(m, n, k, ta, tb)
    aa, bb = (a.t() if ta else a), (b.t() if tb else b)
    out = torch.empty(m, n)
    return timed(lambda: torch.matmul(aa, bb, out=out), 2.0 * m * n * k, warmup, seconds)


def timed(run, flops, warmup=1.0, seconds=2.0):
    """Median and best GFLOP/s of run() after warmup seconds, over at least 5 runs and `seconds`."""
    t0 = time.perf_counter()
    runs = 0
    while runs < 2 or time.perf_counter() - t0 < warmup:
        run()
        runs += 1
    times = []
    t0 = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - t0 < seconds:
        s = time.perf_counter()
        run()
        times.append(time.perf_counter() - s)
    times.sort()
    med = times[len(times) // 2]
    return flops / med / 1e9, med * 1e3, flops / times[0] / 1e9


def load_openblas(path):
    """The OpenBLAS library at path, set to 2 threads; exits with one line where it is not one."""
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        sys.exit(f"--openblas {path}: cannot load it ({e})")
    for name in ("openblas_set_num_threads", "openblas_get_corename", "cblas_sgemm"):
        if not hasattr(lib, name):
            sys.exit(f"--openblas {path}: not an OpenBLAS library (no {name})")
    lib.openblas_set_num_threads(2)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib


def openblas_gflops(lib, path, m, n, k, ta, tb):
    """cblas_sgemm (row-major) of lib on 2 threads, checked against a double product."""
    a, b = operands(m, n, k, ta, tb)
    c = torch.empty(m, n)
    fp = ctypes.POINTER(ctypes.c_float)
    pa, pb, pc = (ctypes.cast(t.data_ptr(), fp) for t in (a, b, c))
    row_major, no_t, yes_t = 101, 111, 112

    def run():
        lib.cblas_sgemm(row_major, yes_t if ta else no_t, yes_t if tb else no_t, m, n, k, ctypes.c_float(1.0),
                        pa, m if ta else k, pb, k if tb else n, ctypes.c_float(0.0), pc, n)
    run()
    want = (a.t() if ta else a).double() @ (b.t() if tb else b).double()
    if not torch.allclose(c.double(), want, rtol=1e-3, atol=1e-3 * k ** 0.5):
        sys.exit(f"--openblas {path}: its product disagrees with a double-precision one")
    return timed(run, 2.0 * m * n * k)


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
    p.add_argument("--openblas", metavar="PATH", help="also time this OpenBLAS library's cblas_sgemm (2 threads)")
    args = p.parse_args()
    build = not args.no_build
    blas = load_openblas(args.openblas) if args.openblas else None
    # Median figures decide the ratio; "best" (from the fastest run) shows what a quiet machine gives.
    head = f"{'shape':>16} {'ours GFLOP/s':>13} {'ours ms':>9} {'ours best':>10} {'torch GFLOP/s':>14} {'torch ms':>9} {'torch best':>11} {'ratio':>6}"
    if blas is not None:
        head += f" {'OpenBLAS GFLOP/s':>17} {'OpenBLAS ms':>12} {'ours/OpenBLAS':>14}"
    print(head)
    for s in (int(x) for x in args.sizes.split(",")):
        og, oms, ob = ours(s, s, s, args.transa, args.transb, args.device, build)
        build = False
        tg, tms, tb = torch_gflops(s, s, s, args.transa, args.transb)
        shape = f"{s}x{s}x{s}" + ("_tA" if args.transa else "") + ("_tB" if args.transb else "")
        line = f"{shape:>16} {og:13.1f} {oms:9.3f} {ob:10.1f} {tg:14.1f} {tms:9.3f} {tb:11.1f} {og / tg:6.2f}"
        if blas is not None:
            bg, bms, _ = openblas_gflops(blas, args.openblas, s, s, s, args.transa, args.transb)
            line += f" {bg:17.1f} {bms:12.3f} {og / bg:14.2f}"
        print(line, flush=True)
    if blas is not None:
        print(f"OpenBLAS kernel set: {blas.openblas_get_corename().decode()}; ratios are GFLOP/s, ours / theirs (above 1: ours faster)")


if __name__ == "__main__":
    main()
