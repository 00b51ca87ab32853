using RobustSeg.Engine;

namespace RobustSeg.Benchmarks;

/// <summary>`robustseg bench conv2d`: forward, backward (input + weight gradients, together and each alone) and forward+backward
/// through autograd of one convolution without bias (the torch side in scripts/bench_conv2d.py matches).</summary>
public sealed class Conv2dBench : IBenchSuite
{
    public string Name => "conv2d";
    public string Description => "2-D convolution forward / backward (input+weight grads, together and each alone) / both";
    public IReadOnlyList<BenchOption> Options { get; } =
    [
        new("n", "2", "batch"), new("c", "64", "input channels"), new("h", "65", "height"), new("w", "65", "width"),
        new("k", "64", "output channels"), new("kernel", "3", "kernel size (square)"), new("stride", "1", "stride"),
        new("padding", "1", "padding"), new("dilation", "1", "dilation"),
        new("cases", "fwd,bwd,bwd_data,bwd_weight,fwd_bwd", "which rows to run (one alone for a profile)"),
        BenchOption.Serve("the one case of --cases", "bench_conv2d.py"),
    ];

    public IEnumerable<BenchRow> Run(BenchContext ctx)
    {
        var dev = ctx.Device;
        int n = ctx.Int("n"), c = ctx.Int("c"), h = ctx.Int("h"), w = ctx.Int("w"), k = ctx.Int("k"), ks = ctx.Int("kernel");
        int s = ctx.Int("stride"), p = ctx.Int("padding"), d = ctx.Int("dilation");
        using var scope = Tensor.Scope();
        var x = F.RandUniform(dev, 1, -1f, 1f, n, c, h, w);
        var wt = F.RandUniform(dev, 2, -0.1f, 0.1f, k, c, ks, ks);
        var g = F.Conv2dShape(x, wt, null, s, p, d);
        var y = Tensor.Empty(dev, g.N, g.K, g.Ho, g.Wo);
        var dy = F.RandUniform(dev, 3, -1f, 1f, g.N, g.K, g.Ho, g.Wo);
        var dx = Tensor.Empty(dev, x.Shape);
        var dw = Tensor.Empty(dev, wt.Shape);
        string shape = $"x={n}x{c}x{h}x{w} w={k}x{c}x{ks}x{ks} s{s} p{p} d{d} y={g.Ho}x{g.Wo}";
        double fl = g.Flops;
        ctx.Log($"conv2d {shape} on {dev.Name}");
        var cases = ctx.Set("cases", "fwd", "bwd", "bwd_data", "bwd_weight", "fwd_bwd");

        // Each gradient alone too: they take different paths (transposed conv or col2im; the padded image's taps or gathered columns).
        var ops = new (string Case, double Flops, Action Run)[]
        {
            ("fwd", fl, () => dev.Backend.Conv2dForward(g, x, wt, null, y)),
            ("bwd", 2 * fl, () =>
            {
                dev.Backend.Conv2dBackwardData(g, dy, wt, dx);
                dev.Backend.Conv2dBackwardWeight(g, x, dy, dw);
            }),
            ("bwd_data", fl, () => dev.Backend.Conv2dBackwardData(g, dy, wt, dx)),
            ("bwd_weight", fl, () => dev.Backend.Conv2dBackwardWeight(g, x, dy, dw)),
            ("fwd_bwd", 3 * fl, () =>
            {
                using var inner = Tensor.Scope();
                var yy = F.Conv2d(x, wt, null, s, p, d);
                Autograd.Grad(yy, [x, wt], dy);
            }),
        };
        x.RequiresGrad = true; wt.RequiresGrad = true;   // only fwd_bwd records a tape; the backend calls ignore it
        if (ctx.Serving(cases.Count, "case in --cases", "cases"))
        {
            ctx.Serve(ops.First(o => cases.Contains(o.Case)).Run);
            yield break;
        }
        foreach (var (name, flops, run) in ops)
            if (cases.Contains(name)) yield return BenchRow.From("conv2d_" + name, dev.Name, shape, BenchRunner.Measure(run, ctx.Sync), flops);
    }
}
