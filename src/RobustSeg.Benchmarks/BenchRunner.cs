using RobustSeg.Engine;
using System.Diagnostics;

namespace RobustSeg.Benchmarks;

public sealed record BenchStats(double MedianMs, double MinMs, double MaxMs, int Runs);

/// <summary>One CSV row of `robustseg bench` (header: case,device,shape,median_ms,min_ms,max_ms,gflops,gbps).</summary>
public sealed record BenchRow(string Case, string Device, string Shape, double MedianMs, double MinMs, double MaxMs, double? Gflops, double? Gbps)
{
    public static BenchRow From(string name, string device, string shape, BenchStats s, double? flops = null, double? bytes = null) =>
        new(name, device, shape, s.MedianMs, s.MinMs, s.MaxMs,
            flops is null ? null : flops / (s.MedianMs * 1e6), bytes is null ? null : bytes / (s.MedianMs * 1e6));
}

public static class BenchRunner
{
    /// <summary>Warms up for at least `warmupSeconds` (the tiered JIT promotes hot loops only after a while),
    /// then times at least `minRuns` runs and at least `minSeconds`; `sync` runs after each call (GPU).</summary>
    public static BenchStats Measure(Action body, Action? sync = null, double warmupSeconds = 1.0, int minRuns = 5, double minSeconds = 1.0, int maxRuns = 200)
    {
        var sw = Stopwatch.StartNew();
        int warm = 0;
        while (warm < 2 || sw.Elapsed.TotalSeconds < warmupSeconds) { body(); sync?.Invoke(); warm++; }
        var times = new List<double>();
        sw.Restart();
        while (times.Count < minRuns || (sw.Elapsed.TotalSeconds < minSeconds && times.Count < maxRuns))
        {
            var t = Stopwatch.GetTimestamp();
            body();
            sync?.Invoke();
            times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        times.Sort();
        return new BenchStats(times[times.Count / 2], times[0], times[^1], times.Count);
    }
}
