"""How the bench scripts run our CLI: the Release build's robustseg.dll through `dotnet`, built once per script run.

`dotnet run` builds on every call and leaves MSBuild nodes and the compiler server busy for seconds afterwards; on a
2-core machine that read as a no-defence training iteration of 470 ms instead of 290. So: build once without node
reuse, shut the build servers down, then run the dll. ROBUSTSEG_DLL (set by gpu-check.sh) runs a given build instead."""
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DLL = os.path.join(ROOT, "src", "RobustSeg.Cli", "bin", "Release", "net10.0", "robustseg.dll")
_built = False


def command(build=True):
    """["dotnet", <dll>]: the arguments before `bench ...`; build=False uses the existing Release build."""
    global _built
    given = os.environ.get("ROBUSTSEG_DLL")
    if given:
        return ["dotnet", given]
    if build and not _built:
        subprocess.run(["dotnet", "build", "-c", "Release", "-nodeReuse:false", os.path.join(ROOT, "src", "RobustSeg.Cli")],
                       check=True, capture_output=True)
        subprocess.run(["dotnet", "build-server", "shutdown"], capture_output=True)
        _built = True
    if not os.path.exists(DLL):
        raise SystemExit(f"{DLL} is missing: dotnet build RobustSeg.sln -c Release first")
    return ["dotnet", DLL]


def median_ms(fn, runs):
    """Median milliseconds of runs calls of fn, one after another."""
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts)


def paired(cmd, torch_once, pairs, cwd=ROOT, env=None, burst_ms=0):
    """Ours against torch as pairs of single runs alternating in time: cmd is a `robustseg bench ... --serve` command
    (it warms up, prints serve_ready, then for each line it reads, a run count, prints serve_ms,<median ms>), torch_once
    runs torch's side once. Which side goes first swaps every pair. With burst_ms, each side of a pair is the median of
    a burst of runs lasting about that long (runs of a few ms: the first after the other side's, with cold caches and
    sleeping threads, would stand for all). Returns (torch median ms, ours median ms, median of the
    pairs' ours/torch ratios, its lower and upper quartiles): a virtual machine's speed drifts by 20 % between minutes,
    which blocks of runs taken one after the other see and pairs seconds apart do not."""
    err = tempfile.TemporaryFile("w+")  # a file, not a pipe: progress lines cannot fill it and stall ours
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, cwd=cwd, env=env)

    def read():
        for line in p.stdout:
            if line.startswith("serve_"):
                return line.strip()
        p.wait()
        err.seek(0)
        raise SystemExit(f"{' '.join(cmd)} ended early:\n" + err.read())

    runs = 1

    def ours_once():
        p.stdin.write(f"{runs}\n")
        p.stdin.flush()
        return float(read().split(",")[1])

    def timed():
        return median_ms(torch_once, runs)

    try:
        if read() != "serve_ready":
            raise SystemExit(f"{' '.join(cmd)}: expected serve_ready")
        timed()
        if burst_ms:
            runs = max(1, min(100, round(burst_ms / timed())))
        timed()
        ts, os_, rs = [], [], []
        for i in range(pairs):
            if i % 2 == 0:
                t = timed()
                o = ours_once()
            else:
                o = ours_once()
                t = timed()
            ts.append(t); os_.append(o); rs.append(o / t)
    finally:
        p.stdin.close()
        p.wait()
        err.close()
    q = statistics.quantiles(rs, n=4) if len(rs) >= 2 else [rs[0]] * 3
    return statistics.median(ts), statistics.median(os_), statistics.median(rs), q[0], q[2]
