using System.Diagnostics;
using RobustSeg.Engine;

namespace RobustSeg.Benchmarks;

/// <summary>`--profile` (and `--profile-shapes`: convolutions one row per layer geometry) of `bench train` and
/// `bench model`: times every op of a few runs of one piece of work (after
/// the measured runs: warm caches and JIT), logs the per-op table to stderr and returns one row per op (median = its
/// ms per run) plus one for the time outside ops.</summary>
public static class OpProfileRows
{
    /// <summary>Whether the command asked for a profile (`--profile` or `--profile-shapes`).</summary>
    public static bool Wanted(BenchContext ctx) => ctx.Flag("profile") || ctx.Flag("profile-shapes");

    public static List<BenchRow> Profile(BenchContext ctx, Action work, string caseName, string what, string shape, int runs = 3)
    {
        var profile = new OpProfile { ConvShapes = ctx.Flag("profile-shapes") };
        var sw = Stopwatch.StartNew();
        using (ctx.Device.Profile(profile))
            for (int i = 0; i < runs; i++) { work(); ctx.Sync(); }
        double total = sw.Elapsed.TotalSeconds;
        ctx.Log($"profile of {runs} {what} ({shape}):\n{profile.Table(total, runs)}");
        var rows = new List<BenchRow>();
        foreach (var (op, v) in profile.Ops.OrderByDescending(kv => kv.Value.Ticks))
        {
            double ms = 1000.0 * v.Ticks / Stopwatch.Frequency / runs;
            rows.Add(new BenchRow(caseName, ctx.Device.Name, $"{shape}:{op}", ms, ms, ms, null, null));
        }
        double other = 1000 * Math.Max(0, total - profile.OpSeconds) / runs;
        rows.Add(new BenchRow(caseName, ctx.Device.Name, $"{shape}:(outside ops)", other, other, other, null, null));
        return rows;
    }
}
