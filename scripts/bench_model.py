#!/usr/bin/python3
"""Times PSPNet / DeepLabV3 in PyTorch (CPU at 2 threads, or CUDA with --device cuda) and RobustSeg's
`robustseg bench model` with the same arguments in the same run, and prints both and the ratio (ours / torch).

  /usr/bin/python3 scripts/bench_model.py --arch psp --layers 50 --classes 21 --size 225 --batch 1
  /usr/bin/python3 scripts/bench_model.py --layers 18 --width 0.5
  python3 scripts/bench_model.py --device cuda      # both on the GPU (needs a CUDA build of torch)
  /usr/bin/python3 scripts/bench_model.py --paired 10   # each case as 10 alternating pairs of single runs (noisy machines)
  /usr/bin/python3 scripts/bench_model.py --rss     # peak resident memory of a train step and an attack step
                                                    # (each side in its own process under /usr/bin/time -v)
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
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_model_reference as ref  # noqa: E402  (the same architectures with the same names)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def measure(fn, warmup=1.0, min_runs=5, min_seconds=1.0, sync=lambda: None):
    # sync waits for queued CUDA work, so each time covers the whole call (as `ctx.Sync` in BenchRunner).
    t0 = time.perf_counter()
    n = 0
    while n < 2 or time.perf_counter() - t0 < warmup:
        fn(); sync(); n += 1
    times = []
    t0 = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - t0 < min_seconds and len(times) < 200):
        s = time.perf_counter(); fn(); sync(); times.append((time.perf_counter() - s) * 1000)
    times.sort()
    return times[len(times) // 2]


def torch_device(a):
    """Our device name -> torch's: cuda runs torch on the GPU too; cpu, ilgpu-cpu (and auto) on the CPU."""
    if a.device == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit(f"--device cuda: this torch ({torch.__version__}) has no CUDA device")
        return torch.device("cuda")
    return torch.device("cpu")


def torch_model(a):
    ref.WIDTH, ref.LAYERS, ref.CLASSES = a.width, a.layers, a.classes
    m = ref.SegNet(a.arch, a.ddcat).to(torch_device(a))
    for mod in m.modules():
        if isinstance(mod, torch.nn.Dropout2d):
            mod.p = 0.1
    return m


def torch_runner(a):
    """Builds the torch model and inputs once; returns run(case) -> (row name, median ms) for fwd, train, attack, and
    once(case) -> that case's function for one run (for --paired)."""
    dev = torch_device(a)
    # torch's GPU default runs convolutions in TF32 (10-bit mantissa); plain float32 unless --tf32, as ours.
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    m = torch_model(a)
    x = (torch.rand(a.batch, 3, a.size, a.size) * 4 - 2).to(dev)
    y = torch.randint(0, a.classes, (a.batch, a.size, a.size)).to(dev)
    # Training needs batch >= 2 (batch norm over the 1x1 pooled branches), as in `robustseg bench model`.
    tb = max(2, a.batch)
    xt = (torch.rand(tb, 3, a.size, a.size) * 4 - 2).to(dev)
    yt = torch.randint(0, a.classes, (tb, a.size, a.size)).to(dev)

    def fwd():
        with torch.no_grad():
            m(x)

    def train():
        r = m(xt)
        loss = F.cross_entropy(r["logits"], yt, ignore_index=255) + 0.4 * F.cross_entropy(r["aux"], yt, ignore_index=255)
        if a.ddcat:
            loss = loss + F.cross_entropy(r["mask"], torch.zeros_like(yt))
        loss.backward()

    def attack():
        xi = x.clone().requires_grad_(True)
        r = m(xi)
        loss = F.cross_entropy(r["cls1"] if a.ddcat else r["logits"], y, ignore_index=255)
        torch.autograd.grad(loss, [xi])

    cases = {"fwd": ("model_fwd", fwd, False), "train": ("model_train_step", train, True), "attack": ("model_attack_step", attack, False)}

    def run(c):
        name, fn, training = cases[c]
        m.train(training)
        return name, measure(fn, sync=sync)

    def once(c):
        """The case's function for one timed run (train/eval mode set now), synchronised."""
        name, fn, training = cases[c]
        m.train(training)
        return lambda: (fn(), sync())
    return run, once


def case_names(a):
    return a.only.split(",") if a.only else ["fwd", "train", "attack"]


def max_rss_kb(cmd):
    """Whole-process maximum resident set size of cmd (GNU time -v), in KiB."""
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    for line in p.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split(":")[1])
    raise SystemExit("no 'Maximum resident set size' in the output of /usr/bin/time -v")


def rss(a):
    """Each step in a fresh process per side: torch running only that case, ours `bench model --cases X`
    from the built CLI (not `dotnet run`, whose build would be measured too)."""
    exe = robustseg_cli.command()
    common = ["--arch", a.arch, "--layers", str(a.layers), "--classes", str(a.classes), "--size", str(a.size),
              "--batch", str(a.batch), "--width", str(a.width)]
    print(f"peak resident memory (MiB, whole process): {a.arch} layers={a.layers} width={a.width} input {a.batch}x3x{a.size}x{a.size}")
    print(f"{'step':<10}{'torch':>10}{'robustseg':>12}{'ratio':>8}")
    for case in ("train", "attack"):
        t = max_rss_kb(["/usr/bin/python3", os.path.abspath(__file__), "--only", case, "--torch-only"] + common + (["--ddcat"] if a.ddcat else []))
        o = max_rss_kb(exe + ["bench", "model", "--cases", case, "--ddcat", "true" if a.ddcat else "false", "--device", a.device] + common)
        print(f"{case:<10}{t / 1024:>10.0f}{o / 1024:>12.0f}{o / t:>8.2f}")


def ours_command(a, case):
    return robustseg_cli.command() + ["bench", "model",
           "--arch", a.arch, "--layers", str(a.layers), "--classes", str(a.classes), "--size", str(a.size),
           "--batch", str(a.batch), "--width", str(a.width), "--ddcat", "true" if a.ddcat else "false", "--device", a.device, "--cases", case]


def ours(a, case):
    """{row name: median ms} of one case from `robustseg bench model --cases`."""
    p = subprocess.run(ours_command(a, case), capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit("robustseg bench model failed")
    return {r["case"]: float(r["median_ms"]) for r in csv.DictReader(io.StringIO(p.stdout))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="psp")
    ap.add_argument("--layers", type=int, default=50)
    ap.add_argument("--classes", type=int, default=21)
    ap.add_argument("--size", type=int, default=225)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--ddcat", action="store_true")
    ap.add_argument("--device", default="cpu", help="our device (cpu, ilgpu-cpu, cuda); cuda also runs torch on the GPU")
    ap.add_argument("--repeat", type=int, default=1, help="per case, alternate torch / ours N times and keep each side's best median (noisy machines)")
    ap.add_argument("--paired", type=int, default=0,
                    help="instead: per case, this many pairs of single runs alternating in time (ours kept warm in one --serve process); the median pair ratio and its quartiles")
    ap.add_argument("--tf32", action="store_true", help="let torch use TF32 on the GPU (its default for convolutions); off: float32 as ours")
    ap.add_argument("--rss", action="store_true", help="peak resident memory of a train step and an attack step instead of times")
    ap.add_argument("--only", default="", help=argparse.SUPPRESS)
    ap.add_argument("--torch-only", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    torch.set_num_threads(2)
    if a.rss:
        rss(a)
        return
    if a.torch_only:
        run, _ = torch_runner(a)
        print(dict(run(c) for c in case_names(a)))
        return
    t, o = {}, {}
    run, once = torch_runner(a)
    if a.paired > 0:
        print(f"{a.arch} layers={a.layers} width={a.width} classes={a.classes} input {a.batch}x3x{a.size}x{a.size} (train step batch {max(2, a.batch)})"
              f"; torch {torch.__version__} on {torch_device(a)}, ours on {a.device}; {a.paired} alternating pairs per case")
        print(f"{'case':<20}{'torch ms':>12}{'robustseg ms':>15}{'ratio':>8}{'quartiles':>14}")
        for c in case_names(a):
            tm, om, r, q1, q3 = robustseg_cli.paired(ours_command(a, c) + ["--serve"], once(c), a.paired)
            print(f"{'model_' + {'train': 'train_step', 'attack': 'attack_step'}.get(c, c):<20}{tm:>12.1f}{om:>15.1f}{r:>8.2f}{f'{q1:.2f}-{q3:.2f}':>14}", flush=True)
        return
    # Each case on both sides back to back (the machine's speed drifts over seconds), best of --repeat.
    for c in case_names(a):
        for _ in range(a.repeat):
            k, v = run(c)
            t[k] = min(v, t.get(k, v))
            for k, v in ours(a, c).items():
                o[k] = min(v, o.get(k, v))
    print(f"{a.arch} layers={a.layers} width={a.width} classes={a.classes} input {a.batch}x3x{a.size}x{a.size} (train step batch {max(2, a.batch)})"
          f"; torch {torch.__version__} on {torch_device(a)}{' (TF32 allowed)' if a.tf32 and a.device == 'cuda' else ''}, ours on {a.device}")
    print(f"{'case':<20}{'torch ms':>12}{'robustseg ms':>15}{'ratio':>8}")
    for k in ("model_fwd", "model_train_step", "model_attack_step"):
        if k in o:
            print(f"{k:<20}{t[k]:>12.1f}{o[k]:>15.1f}{o[k] / t[k]:>8.2f}")


if __name__ == "__main__":
    main()
