using RobustSeg.Engine;

namespace RobustSeg.Benchmarks;

/// <summary>`robustseg bench batchnorm`: training-mode batch norm forward (statistics, running-stat
/// update, normalise+affine), backward (dx, dweight, dbias) and both. scripts/bench_batchnorm.py times
/// the same in PyTorch.</summary>
public sealed class BatchNormBench : IBenchSuite
{
    public string Name => "batchnorm";
    public string Description => "BatchNorm2d in training mode: forward, backward, forward+backward";
    public IReadOnlyList<BenchOption> Options { get; } =
    [
        new("n", "8", "batch"), new("c", "256", "channels"), new("h", "33", "height"), new("w", "33", "width"),
    ];

    public IEnumerable<BenchRow> Run(BenchContext ctx)
    {
        var dev = ctx.Device;
        int n = ctx.Int("n"), c = ctx.Int("c"), h = ctx.Int("h"), w = ctx.Int("w");
        string shape = $"{n}x{c}x{h}x{w}";
        long numel = (long)n * c * h * w;
        var rng = new Random(1);
        float[] R(long k, double scale, double off) => Enumerable.Range(0, (int)k).Select(_ => (float)(off + scale * (rng.NextDouble() * 2 - 1))).ToArray();

        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(dev, R(numel, 1, 0.5), n, c, h, w);
        var dy = Tensor.FromArray(dev, R(numel, 1, 0), n, c, h, w);
        var weight = Tensor.FromArray(dev, R(c, 0.5, 1), c);
        var bias = Tensor.FromArray(dev, R(c, 0.5, 0), c);
        var rm = Tensor.Zeros(dev, c);
        var rv = Tensor.Full(dev, 1f, c);
        x.RequiresGrad = weight.RequiresGrad = bias.RequiresGrad = true;

        ctx.Log($"batchnorm {shape} on {dev}");
        // Forward without a tape (what a no-grad pass or the forward half costs).
        var fwd = BenchRunner.Measure(() =>
        {
            using var s = Tensor.Scope();
            using var ng = Autograd.NoGrad();
            F.BatchNorm2d(x, weight, bias, rm, rv, training: true);
        }, ctx.Sync);
        // x read twice (statistics, normalise), y written once.
        yield return BenchRow.From("batchnorm_fwd", dev.Name, shape, fwd, flops: 7.0 * numel, bytes: 12.0 * numel);

        var y = F.BatchNorm2d(x, weight, bias, rm, rv, training: true);
        var bwd = BenchRunner.Measure(() =>
        {
            using var s = Tensor.Scope();
            Autograd.Grad(y, [x, weight, bias], dy);
        }, ctx.Sync);
        // x and dy read twice (reductions, dx), dx written once.
        yield return BenchRow.From("batchnorm_bwd", dev.Name, shape, bwd, flops: 9.0 * numel, bytes: 20.0 * numel);

        var both = BenchRunner.Measure(() =>
        {
            using var s = Tensor.Scope();
            var yy = F.BatchNorm2d(x, weight, bias, rm, rv, training: true);
            Autograd.Grad(yy, [x, weight, bias], dy);
        }, ctx.Sync);
        yield return BenchRow.From("batchnorm_fwd_bwd", dev.Name, shape, both, flops: 16.0 * numel, bytes: 32.0 * numel);
    }
}
