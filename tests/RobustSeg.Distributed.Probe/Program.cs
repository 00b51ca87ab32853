using RobustSeg.Distributed;
using RobustSeg.Engine;

// Probe run under mpirun by the distributed tests: prints one "rank R: ..." line per check, or aborts
// from the rank named by `fail R` so the tests can see the job stop instead of hang.
using var g = ProcessGroups.Create("mpi", deviceIsCuda: false);
if (args.Length >= 1 && args[0] == "bandwidth")
{
    // scripts/bench_ddp.sh: the group's float sum (reduce to rank 0 + broadcast) over message sizes; median of
    // 7 after 2 warm-ups; bus bandwidth as NCCL's tests define it, algbw * 2(N-1)/N.
    if (g.Rank == 0) Console.WriteLine("floats,bytes,median_ms,algbw_GBps,busbw_GBps");
    for (int n = 1 << 16; n <= 1 << 24; n <<= 2)
    {
        var buf = new float[n];
        var times = new List<double>();
        for (int rep = 0; rep < 9; rep++)
        {
            g.Barrier();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            g.AllReduceSum(buf.AsSpan());
            if (rep >= 2) times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        double med = times[times.Count / 2], alg = 4.0 * n / med / 1e9;
        if (g.Rank == 0)
            Console.WriteLine(FormattableString.Invariant($"{n},{4L * n},{med * 1e3:F3},{alg:F3},{alg * 2 * (g.WorldSize - 1) / g.WorldSize:F3}"));
    }
    return;
}
if (args.Length == 2 && args[0] == "fail" && int.Parse(args[1]) == g.Rank)
    g.Abort(3, "probe failure requested");
var v = new float[] { g.Rank + 1, 10 * (g.Rank + 1) };
g.AllReduceSum(v.AsSpan());
var b = new float[] { g.Rank == 0 ? 42f : 0f };
g.Broadcast(b.AsSpan(), 0);
var gathered = new float[g.WorldSize];
g.AllGather(new float[] { g.Rank }, gathered);
using var t = Tensor.FromArray(Device.Cpu, new float[] { g.Rank, 1 }, 2);
g.AllReduceSum(t);
g.Barrier();
Console.WriteLine($"rank {g.Rank}/{g.WorldSize}: sum={v[0]},{v[1]} bcast={b[0]} gather={string.Join(",", gathered)} tensor={string.Join(",", t.ToArray())}");
