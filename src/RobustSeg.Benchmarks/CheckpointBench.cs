using RobustSeg.Engine;
using RobustSeg.Models;
using RobustSeg.Nn.IO;

namespace RobustSeg.Benchmarks;

/// <summary>`robustseg bench checkpoint`: loading a model's safetensors checkpoint with and without the SHA-256
/// integrity check, so its share of the load time is measured (issue: keep it under 20 %).</summary>
public sealed class CheckpointBench : IBenchSuite
{
    public string Name => "checkpoint";
    public string Description => "Checkpoint load time with and without the SHA-256 integrity check";

    public IReadOnlyList<BenchOption> Options { get; } =
    [
        new("arch", "psp", "psp or aspp"),
        new("layers", "50", "ResNet depth"),
        new("classes", "21", "number of classes"),
        new("pairs", "7", "alternating (unverified, verified) load pairs, at least"),
    ];

    public IEnumerable<BenchRow> Run(BenchContext ctx)
    {
        var cfg = new ModelConfig(ctx.Get("arch"), ctx.Int("layers"), ctx.Int("classes")).Validate();
        var path = Path.Combine(Path.GetTempPath(), $"rs-bench-{Environment.ProcessId}.safetensors");
        try
        {
            ctx.Log($"building and saving {cfg.Describe()}");
            using (var model = ModelFactory.Create(cfg, ctx.Device)) ModelFactory.Save(path, model);
            double bytes = new FileInfo(path).Length;
            var shape = $"{bytes / 1e6:F0}MB";
            // Alternating runs (unverified, verified) so a busy machine disturbs both alike; the ratio is per pair.
            void Load(bool verify) { using var f = SafeTensors.Load(path, ctx.Device, verify); ctx.Sync(); }
            Load(false); Load(true);
            // Wall time is what a user waits; CPU time (all threads) is the work, steadier on a shared machine.
            var (plain, checkedMs, ratios, cpuRatios) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
            var proc = System.Diagnostics.Process.GetCurrentProcess();
            var total = System.Diagnostics.Stopwatch.StartNew();
            int pairs = ctx.Int("pairs");
            while (ratios.Count < pairs || (total.Elapsed.TotalSeconds < 4 && ratios.Count < 100))
            {
                proc.Refresh();
                var c0 = proc.TotalProcessorTime;
                var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                Load(false);
                var t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                proc.Refresh();
                var c1 = proc.TotalProcessorTime;
                Load(true);
                plain.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                checkedMs.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t1).TotalMilliseconds);
                proc.Refresh();
                ratios.Add(checkedMs[^1] / plain[^1]);
                cpuRatios.Add((proc.TotalProcessorTime - c1).TotalMilliseconds / Math.Max(1e-3, (c1 - c0).TotalMilliseconds));
            }
            ratios.Sort();
            cpuRatios.Sort();
            ctx.Log($"verified / unverified load, wall time: {ratios[ratios.Count / 2]:F3} (median of {ratios.Count} alternating pairs; range {ratios[0]:F3}-{ratios[^1]:F3}); " +
                $"CPU time: {cpuRatios[cpuRatios.Count / 2]:F3} (range {cpuRatios[0]:F3}-{cpuRatios[^1]:F3}); {Environment.ProcessorCount} cores");
            yield return BenchRow.From("checkpoint_load_unverified", ctx.Device.Name, shape, Stats(plain), bytes: bytes);
            yield return BenchRow.From("checkpoint_load_verified", ctx.Device.Name, shape, Stats(checkedMs), bytes: bytes);
        }
        finally { File.Delete(path); }
    }

    static BenchStats Stats(List<double> ms)
    {
        var s = ms.Order().ToList();
        return new BenchStats(s[s.Count / 2], s[0], s[^1], s.Count);
    }
}
