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
            foreach (var verify in new[] { false, true })
            {
                var s = BenchRunner.Measure(() => { using var f = SafeTensors.Load(path, ctx.Device, verify); }, ctx.Sync, minRuns: 5, minSeconds: 2);
                yield return BenchRow.From(verify ? "checkpoint_load_verified" : "checkpoint_load_unverified", ctx.Device.Name, shape, s, bytes: bytes);
            }
        }
        finally { File.Delete(path); }
    }
}
