using RobustSeg.Engine;

namespace RobustSeg.Benchmarks;

/// <summary>`robustseg bench cross_entropy`: fused softmax cross-entropy with ignore_index 255 (mean),
/// forward and forward+backward; labels have about 5% ignored pixels.</summary>
public sealed class CrossEntropyBench : IBenchSuite
{
    public string Name => "cross_entropy";
    public string Description => "Cross-entropy over (N,K,H,W) logits with ignore_index 255, forward / forward+backward";
    public IReadOnlyList<BenchOption> Options { get; } =
        [new("n", "2", "batch"), new("k", "21", "classes"), new("h", "225", "height"), new("w", "225", "width")];

    public IEnumerable<BenchRow> Run(BenchContext ctx)
    {
        int n = ctx.Int("n"), k = ctx.Int("k"), h = ctx.Int("h"), w = ctx.Int("w");
        var dev = ctx.Device;
        string shape = $"{n}x{k}x{h}x{w}";
        using var x = Tensor.Empty(dev, n, k, h, w);
        dev.Backend.RandUniform(x, 3, -4f, 4f);
        var rng = new Random(4);
        using var labels = Tensor.FromArray(dev, Enumerable.Range(0, n * h * w).Select(_ => rng.Next(20) == 0 ? 255 : rng.Next(k)).ToArray(), n, h, w);
        double bytes = 4.0 * x.Numel + 4.0 * labels.Numel;
        ctx.Log($"cross_entropy {shape} on {dev.Name}");

        var fwd = BenchRunner.Measure(() =>
        {
            using var s = Tensor.Scope();
            using var _ = Autograd.NoGrad();
            F.CrossEntropy(x, labels);
        }, ctx.Sync);
        yield return BenchRow.From("cross_entropy_fwd", dev.Name, shape, fwd, null, bytes);

        var both = BenchRunner.Measure(() =>
        {
            using var s = Tensor.Scope();
            var xi = x.Detach();
            xi.RequiresGrad = true;
            Autograd.Grad(F.CrossEntropy(xi, labels), [xi]);
        }, ctx.Sync);
        yield return BenchRow.From("cross_entropy", dev.Name, shape, both, null, 2 * bytes + 4.0 * x.Numel);
    }
}
