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

    /// <summary>Timing on request, for a script that alternates these runs with its own (scripts/bench_*.py --paired):
    /// warms up as <see cref="Measure"/> does, writes `serve_ready`, then for every line read, a run count (empty: 1),
    /// runs body that many times back to back and writes `serve_ms,&lt;median milliseconds&gt;`, until the input ends. A
    /// paired ratio is robust to a virtual machine's speed drifting by 20 % from one minute to the next, where two blocks
    /// of runs minutes apart are not; runs of a few milliseconds go in bursts, so the first run after the other side's
    /// (cold caches, sleeping workers) does not stand for all.</summary>
    public static void Serve(Action body, Action? sync, TextReader input, TextWriter output, double warmupSeconds = 1.0)
    {
        var sw = Stopwatch.StartNew();
        int warm = 0;
        while (warm < 2 || sw.Elapsed.TotalSeconds < warmupSeconds) { body(); sync?.Invoke(); warm++; }
        output.WriteLine("serve_ready");
        output.Flush();
        while (input.ReadLine() is { } line)
        {
            if (!int.TryParse(line, out int runs) || runs < 1) runs = 1;
            var times = new double[runs];
            for (int i = 0; i < runs; i++)
            {
                var t = Stopwatch.GetTimestamp();
                body();
                sync?.Invoke();
                times[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            }
            Array.Sort(times);
            output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"serve_ms,{times[runs / 2]:F3}"));
            output.Flush();
        }
    }
}
