using RobustSeg.Engine;

namespace RobustSeg.Benchmarks;

/// <summary>`robustseg bench interpolate`: bilinear resize (align_corners=True) forward, backward alone
/// and forward+backward through the tape; PSPNet upsamples (2,21,59,59) to 473x473 every step.</summary>
public sealed class InterpolateBench : IBenchSuite
{
    public string Name => "interpolate";
    public string Description => "Bilinear interpolation (align_corners=True) forward / backward";
    public IReadOnlyList<BenchOption> Options { get; } =
    [
        new("n", "2", "batch"), new("c", "21", "channels"), new("h", "29", "input height"), new("w", "29", "input width"),
        new("oh", "225", "output height"), new("ow", "225", "output width"),
    ];

    public IEnumerable<BenchRow> Run(BenchContext ctx)
    {
        int n = ctx.Int("n"), c = ctx.Int("c"), h = ctx.Int("h"), w = ctx.Int("w"), oh = ctx.Int("oh"), ow = ctx.Int("ow");
        var dev = ctx.Device;
        string shape = $"{n}x{c}x{h}x{w}->{oh}x{ow}";
        using var x = Tensor.Empty(dev, n, c, h, w);
        using var dy = Tensor.Empty(dev, n, c, oh, ow);
        using var y = Tensor.Empty(dev, n, c, oh, ow);
        using var dx = Tensor.Empty(dev, n, c, h, w);
        dev.Backend.RandUniform(x, 1, -1f, 1f);
        dev.Backend.RandUniform(dy, 2, -1f, 1f);
        double inB = 4.0 * x.Numel, outB = 4.0 * y.Numel;
        // 3 multiply-adds per output (two row taps, one blend): the same count backward.
        double flops = 6.0 * y.Numel;

        ctx.Log($"interpolate {shape} on {dev.Name}");
        var fwd = BenchRunner.Measure(() =>
        {
            using var s = Tensor.Scope();
            using var _ = Autograd.NoGrad();
            F.InterpolateBilinear(x, oh, ow);
        }, ctx.Sync);
        yield return BenchRow.From("interpolate_fwd", dev.Name, shape, fwd, flops, inB + outB);

        var bwd = BenchRunner.Measure(() => dev.Backend.InterpolateBilinearBackward(dy, dx, n * c, h, w, oh, ow), ctx.Sync);
        yield return BenchRow.From("interpolate_bwd", dev.Name, shape, bwd, flops, inB + outB);

        var both = BenchRunner.Measure(() =>
        {
            using var s = Tensor.Scope();
            var xi = x.Detach();
            xi.RequiresGrad = true;
            var yi = F.InterpolateBilinear(xi, oh, ow);
            Autograd.Grad(yi, [xi], dy);
        }, ctx.Sync);
        yield return BenchRow.From("interpolate_fwd_bwd", dev.Name, shape, both, 2 * flops, 2 * (inB + outB));
    }
}
