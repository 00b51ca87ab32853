using System.Globalization;
using RobustSeg.Config;
using RobustSeg.Adversarial.Training;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Benchmarks;

/// <summary>`robustseg bench train`: one training iteration of a regime (attack + mask targets + training step +
/// SGD) on a fixed random batch. Row `train_iteration`; `--regime all` runs the three.</summary>
public sealed class TrainBench : IBenchSuite
{
    public string Name => "train";
    public string Description => "One training iteration per regime (nodefense, sat, ddcat): CSV row train_iteration";

    public IReadOnlyList<BenchOption> Options { get; } =
    [
        new("regime", "ddcat", "nodefense, sat, ddcat or all"),
        new("arch", "psp", "psp or aspp"),
        new("layers", "18", "ResNet depth"),
        new("width", "0.5", "channel width multiplier"),
        new("size", "129", "crop side ((size-1) % 8 == 0)"),
        new("batch", "4", "batch size"),
        new("classes", "21", "classes"),
        new("profile", "false", "also time every op of a few profiled iterations: a per-op table on stderr and train_op rows", Flag: true),
        new("profile-shapes", "false", "--profile with one row per convolution geometry (images, channels, map, stride, padding, dilation) instead of per kernel shape", Flag: true),
        BenchOption.Serve("one iteration of the one --regime", "bench_train.py"),
    ];

    public IEnumerable<BenchRow> Run(BenchContext ctx)
    {
        var regimes = ctx.Get("regime") == "all" ? ["nodefense", "sat", "ddcat"] : new[] { ctx.Get("regime") };
        bool serve = ctx.Serving(regimes.Length, "--regime (nodefense, sat or ddcat)", "regime");
        foreach (var name in regimes)
        {
            if (!RegimeNames.TryParse(name, out var regime)) throw new UserInputException($"--regime: expected nodefense, sat, ddcat or all, got '{name}'");
            foreach (var row in RunOne(ctx, regime, serve)) yield return row;
        }
    }

    static IEnumerable<BenchRow> RunOne(BenchContext ctx, Regime regime, bool serve)
    {
        var dev = ctx.Device;
        int size = ctx.Int("size"), batch = ctx.Int("batch"), classes = ctx.Int("classes");
        var mc = new ModelConfig(ctx.Get("arch"), ctx.Int("layers"), classes, 8, regime == Regime.DdcAt, ctx.Double("width"), 0.1f, 1);
        using var model = ModelFactory.Create(mc, dev);
        using var opt = model.CreateOptimizer(1e-4);
        var step = new TrainStep(model, opt, regime, new TrainingAttack());
        using var scope = Tensor.Scope();
        var rng = new Random(1);
        var img = new float[batch * 3 * size * size];
        for (int i = 0; i < img.Length; i++) img[i] = (float)rng.NextDouble();
        var lab = new int[batch * size * size];
        for (int i = 0; i < lab.Length; i++) lab[i] = rng.Next(20) == 0 ? 255 : rng.Next(classes);
        var x = Tensor.FromArray(dev, img, batch, 3, size, size);
        var y = Tensor.FromArray(dev, lab, batch, size, size);
        long it = 0;
        ctx.Log($"train {regime.ToKey()}: {mc.Describe()}, batch {batch}x3x{size}x{size} on {dev}");
        if (serve)
        {
            ctx.Serve(() => step.Run(x, y, ++it));
            return [];
        }
        var stats = BenchRunner.Measure(() => step.Run(x, y, ++it), ctx.Sync, minRuns: 3, minSeconds: 3);
        var shape = string.Create(CultureInfo.InvariantCulture, $"{regime.ToKey()}:{mc.Arch}{mc.Layers}x{mc.Width}:{batch}x3x{size}x{size}");
        var rows = new List<BenchRow> { BenchRow.From("train_iteration", dev.Name, shape, stats) };
        if (OpProfileRows.Wanted(ctx)) rows.AddRange(OpProfileRows.Profile(ctx, () => step.Run(x, y, ++it), "train_op", $"{regime.ToKey()} iterations", shape));
        return rows;
    }
}
