#!/usr/bin/python3
"""Times conv2d forward / backward (input+weight grads, together and each alone) / forward+backward in PyTorch (2 threads by default) and in
`robustseg bench conv2d` in the same run, and prints both with the ratio ours/torch (lower is better).
Usage: /usr/bin/python3 scripts/bench_conv2d.py [--device cpu] [--no-build] [--only NAME] [--repeat R] [--threads 2]"""
import argparse
import csv
import io
import os
import subprocess
import sys
import time

import torch

import robustseg_cli
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# name: (N, C, H, W, K, kernel, stride, padding, dilation)
CASES = {
    "3x3_64_65_d1": (2, 64, 65, 65, 64, 3, 1, 1, 1),
    "3x3_64_65_d2": (2, 64, 65, 65, 64, 3, 1, 2, 2),
    "1x1_2048_512_29": (2, 2048, 29, 29, 512, 1, 1, 0, 1),
    # PSPNet-50's head 3x3 (4096 -> 512 at 29x29, batch 1): two fifths of its forward at 225x225.
    "psp_head_4096_29": (1, 4096, 29, 29, 512, 3, 1, 1, 1),
}
# DeepLabV3-50's dilated 3x3 convs at 225x225 input (29x29 maps, batch 1): layer3, layer4, ASPP rates 6/12/18.
# Where the rate is large against the map most taps read only padding. Run with --only deeplab.
DEEPLAB = {
    "l3_256_29_d2": (1, 256, 29, 29, 256, 3, 1, 2, 2),
    "l4_512_29_d4": (1, 512, 29, 29, 512, 3, 1, 4, 4),
    "aspp_2048_29_d6": (1, 2048, 29, 29, 256, 3, 1, 6, 6),
    "aspp_2048_29_d12": (1, 2048, 29, 29, 256, 3, 1, 12, 12),
    "aspp_2048_29_d18": (1, 2048, 29, 29, 256, 3, 1, 18, 18),
    # layer4's bottleneck 1x1s (each runs 3 times per pass).
    "l4_1x1_512_2048_29": (1, 512, 29, 29, 2048, 1, 1, 0, 1),
    "l4_1x1_2048_512_29": (1, 2048, 29, 29, 512, 1, 1, 0, 1),
}
# The 3x3 convs of bench_train.py's model (PSPNet-ResNet18 x0.5, batch 4 at 129x129): the deep stem's three, layer1,
# layer2, dilated layer3 and layer4, the PSP/DDC-AT head and the auxiliary head. Run with --only train.
TRAIN = {
    "t_stem_3_32_s2": (4, 3, 129, 129, 32, 3, 2, 1, 1),
    "t_stem_32_65": (4, 32, 65, 65, 32, 3, 1, 1, 1),
    "t_stem_32_64_65": (4, 32, 65, 65, 64, 3, 1, 1, 1),
    "t_l1_32_33": (4, 32, 33, 33, 32, 3, 1, 1, 1),
    "t_l2_64_17": (4, 64, 17, 17, 64, 3, 1, 1, 1),
    "t_l3_128_17_d2": (4, 128, 17, 17, 128, 3, 1, 2, 2),
    "t_l4_256_17_d4": (4, 256, 17, 17, 256, 3, 1, 4, 4),
    "t_head_512_17": (4, 512, 17, 17, 256, 3, 1, 1, 1),
    "t_aux_128_17": (4, 128, 17, 17, 128, 3, 1, 1, 1),
    # SAT and DDC-AT attack half the batch: the same convs on 2 images (forward and data gradient).
    "t_l3_128_17_d2_b2": (2, 128, 17, 17, 128, 3, 1, 2, 2),
    "t_l4_256_17_d4_b2": (2, 256, 17, 17, 256, 3, 1, 4, 4),
    "t_head_512_17_b2": (2, 512, 17, 17, 256, 3, 1, 1, 1),
}


# Each op and its FLOPs as multiples of the forward's.
OPS = {"conv2d_fwd": 1, "conv2d_bwd": 2, "conv2d_bwd_data": 1, "conv2d_bwd_weight": 1, "conv2d_fwd_bwd": 3}


def measure(fn, warmup_s=1.0, min_runs=5, min_s=1.0):
    t0 = time.perf_counter()
    n = 0
    while n < 2 or time.perf_counter() - t0 < warmup_s:
        fn(); n += 1
    times = []
    t0 = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - t0 < min_s and len(times) < 200):
        t = time.perf_counter(); fn(); times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return times[len(times) // 2]


def torch_time(op, *geom):
    """Median ms of one op (a key of OPS) in torch for this geometry."""
    return measure(torch_fn(op, *geom))


def torch_fn(op, n, c, h, w, k, ks, s, p, d):
    """One op (a key of OPS) in torch for this geometry, as a function of no arguments."""
    torch.manual_seed(0)
    x = torch.rand(n, c, h, w) * 2 - 1
    wt = (torch.rand(k, c, ks, ks) * 2 - 1) * 0.1
    with torch.no_grad():
        y = F.conv2d(x, wt, None, s, p, d)
    dy = torch.rand_like(y) * 2 - 1

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(
            dy, x, wt, None, [s, s], [p, p], [d, d], False, [0, 0], 1, mask)
    if op == "conv2d_fwd":
        def fwd():
            with torch.no_grad():
                F.conv2d(x, wt, None, s, p, d)
        return fwd
    if op == "conv2d_bwd":
        return backward([True, True, False])
    if op == "conv2d_bwd_data":
        return backward([True, False, False])
    if op == "conv2d_bwd_weight":
        return backward([False, True, False])
    xg = x.clone().requires_grad_()
    wg = wt.clone().requires_grad_()

    def fwd_bwd():
        yy = F.conv2d(xg, wg, None, s, p, d)
        torch.autograd.grad(yy, [xg, wg], dy)
    return fwd_bwd


def ours_command(device, op, *geom):
    return robustseg_cli.command(build=False) + ["bench", "conv2d", "--device", device, "--cases", op[len("conv2d_"):]] + [
        f"--{name}={v}" for name, v in zip(["n", "c", "h", "w", "k", "kernel", "stride", "padding", "dilation"], geom)]


def ours(device, op, *geom):
    """(median ms, GFLOP/s) of one op from `robustseg bench conv2d --cases`."""
    env = dict(os.environ, DOTNET_PROCESSOR_COUNT=str(torch.get_num_threads()))  # same core count as torch
    r = subprocess.run(ours_command(device, op, *geom), capture_output=True, text=True, check=True, env=env)
    row = next(row for row in csv.DictReader(io.StringIO(r.stdout)) if row["case"] == op)
    return float(row["median_ms"]), float(row["gflops"] or 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--only", default=None, help="comma-separated case names, 'deeplab' for DeepLabV3's dilated convs or 'train' for bench_train.py's model")
    ap.add_argument("--threads", type=int, default=2, help="torch threads; our CLI gets the same processor count")
    ap.add_argument("--repeat", type=int, default=1,
                    help="per op, alternate torch and ours this many times and keep each side's best median (noisy machines)")
    ap.add_argument("--paired", type=int, default=0,
                    help="instead: per op, this many pairs of single runs alternating in time (ours kept warm in one --serve process); "
                         "the median of the pairs' ratios and its quartiles")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if not a.no_build:
        robustseg_cli.command()
    print(f"{'case':<18} {'op':<17} {'ours ms':>9} {'GFLOP/s':>8} {'torch ms':>9} {'GFLOP/s':>8} {'ours/torch':>10}"
          + (f" {'quartiles':>11}" if a.paired else ""))
    every = {**CASES, **DEEPLAB, **TRAIN}
    sets = {"deeplab": DEEPLAB, "train": TRAIN}
    names = list(CASES) if not a.only else list(sets[a.only]) if a.only in sets else a.only.split(",")
    for name in names:
        if name not in every:
            sys.exit(f"--only: unknown case '{name}'; expected one of {', '.join(every)} or deeplab, train")
        geom = every[name]
        n, c, h, w, k, ks, s, p, d = geom
        ho = (h + 2 * p - d * (ks - 1) - 1) // s + 1
        wo = (w + 2 * p - d * (ks - 1) - 1) // s + 1
        fl = 2.0 * n * k * ho * wo * c * ks * ks
        for op, mult in OPS.items():
            if a.paired:
                tm, om, r, q1, q3 = robustseg_cli.paired(ours_command(a.device, op, *geom) + ["--serve"], torch_fn(op, *geom), a.paired,
                                                         env=dict(os.environ, DOTNET_PROCESSOR_COUNT=str(a.threads)), burst_ms=200)
                print(f"{name:<18} {op:<17} {om:9.2f} {mult * fl / (om * 1e6):8.1f} {tm:9.2f} {mult * fl / (tm * 1e6):8.1f} {r:10.2f} "
                      f"{f'{q1:.2f}-{q3:.2f}':>11}", flush=True)
                continue
            # Each op measured on both sides back to back (the machine's speed drifts over seconds), best of --repeat.
            tm, (om, og) = float("inf"), (float("inf"), 0.0)
            for _ in range(a.repeat):
                tm = min(tm, torch_time(op, *geom))
                om, og = min((om, og), ours(a.device, op, *geom))
            print(f"{name:<18} {op:<17} {om:9.2f} {og:8.1f} {tm:9.2f} {mult * fl / (tm * 1e6):8.1f} {om / tm:10.2f}")


if __name__ == "__main__":
    main()
