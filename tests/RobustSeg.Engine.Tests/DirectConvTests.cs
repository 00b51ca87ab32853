using RobustSeg.Engine.Cpu;
using RobustSeg.Engine.Reference;

namespace RobustSeg.Engine.Tests;

/// <summary>The host's direct stride-1 convolution (<see cref="DirectConv"/>): the same bits as the packed im2col path
/// forward where that runs every tap, the data gradient as a flipped convolution, and the choice between the two.</summary>
[NonParallelizable]
public class DirectConvTests
{
    internal static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>The largest error relative to the reference's largest magnitude, a NaN infinite (<see cref="InterpolateTests.Rel(float[], IReadOnlyList{double})"/>).</summary>
    internal static double MaxRelErr(float[] a, double[] b) => InterpolateTests.Rel(a, b);

    // (n, c, h, w, k, kh, kw, pad, dil): a batch above the core count with a partial last panel; two K blocks and
    // a row count no tile shape divides; rows past the packed-A budget (several K chunks, accumulated on store);
    // dilation; a 1x3; a 5x5; no padding; rows exactly 8 wide over two K blocks of pixels.
    static readonly (int N, int C, int H, int W, int K, int Kh, int Kw, int P, int D)[] Cases =
    [
        (3, 5, 9, 11, 6, 3, 3, 1, 1),
        (1, 40, 20, 18, 70, 3, 3, 1, 1),
        (2, 64, 9, 9, 300, 3, 3, 1, 1),
        (2, 6, 14, 13, 7, 3, 3, 4, 4),
        (2, 3, 8, 9, 4, 1, 3, 1, 1),
        (1, 4, 7, 7, 5, 5, 5, 2, 1),
        (2, 8, 10, 12, 9, 3, 3, 0, 1),
        (1, 6, 26, 8, 5, 3, 3, 1, 1),
    ];

    static IEnumerable<TestCaseData> CaseData() => Cases.Select((c, i) => new TestCaseData(i).SetName($"case {i}: {c}"));

    static Conv2dGeom Geom(int i) => Geom(Cases[i]);

    /// <summary>The stride-1 conv of a case (n, c, h, w, k, kh, kw, pad, dilation).</summary>
    internal static Conv2dGeom Geom((int N, int C, int H, int W, int K, int Kh, int Kw, int P, int D) c) =>
        new(c.N, c.C, c.H, c.W, c.K, c.Kh, c.Kw, 1, c.P, c.D,
            Conv2dGeom.OutSize(c.H, c.Kh, 1, c.P, c.D), Conv2dGeom.OutSize(c.W, c.Kw, 1, c.P, c.D));

    /// <summary>Random x, w and dy for g (seeds seed, seed + 20, seed + 40) and the y and dx they give in double.</summary>
    internal static (float[] X, float[] W, float[] Dy, double[] YRef, double[] DxRef) Problem(in Conv2dGeom g, int seed)
    {
        var x = Rand(g.N * g.C * g.H * g.W, seed);
        var w = Rand(g.K * g.ColRows, seed + 20);
        var dy = Rand(g.N * g.K * g.OutSpatial, seed + 40);
        var yRef = ConvReference.Conv2d(x.Select(v => (double)v).ToArray(), w.Select(v => (double)v).ToArray(), null,
            g.N, g.C, g.H, g.W, g.K, g.Kh, g.Kw, 1, g.Pad, g.Dil);
        return (x, w, dy, yRef, DataGradReference(g, dy, w));
    }

    /// <summary>Sets a path toggle to value until disposed, then back to what it was (keep).</summary>
    internal static IDisposable Force(Action<bool?> set, bool? keep, bool value)
    {
        set(value);
        return new Restore(() => set(keep));
    }

    sealed class Restore(Action undo) : IDisposable { public void Dispose() => undo(); }

    /// <summary>y and dx of g on the host with the direct path forced on or off (Winograd and the tap GEMMs off, so the
    /// direct and packed paths are the ones compared).</summary>
    static (float[] Y, float[] Dx) Host(in Conv2dGeom g, float[] x, float[] w, float[] dy, bool direct)
    {
        using var force = Force(v => CpuBackend.UseDirectConv = v, CpuBackend.UseDirectConv, direct);
        using var noWinograd = Force(v => CpuBackend.UseWinograd = v, CpuBackend.UseWinograd, false);
        using var noTaps = Force(v => CpuBackend.UseTapConv = v, CpuBackend.UseTapConv, false);
        return ForwardAndDataGrad(g, x, w, dy);
    }

    /// <summary>y and dx of g on the host backend as its path toggles stand, the outputs first filled with NaN (a pixel
    /// no path wrote would show).</summary>
    internal static (float[] Y, float[] Dx) ForwardAndDataGrad(in Conv2dGeom g, float[] x, float[] w, float[] dy)
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        var tx = Tensor.FromArray(dev, x, g.N, g.C, g.H, g.W);
        var tw = Tensor.FromArray(dev, w, g.K, g.C, g.Kh, g.Kw);
        var tdy = Tensor.FromArray(dev, dy, g.N, g.K, g.Ho, g.Wo);
        var y = Tensor.FromArray(dev, Enumerable.Repeat(float.NaN, g.N * g.K * g.OutSpatial).ToArray(), g.N, g.K, g.Ho, g.Wo);
        var dx = Tensor.FromArray(dev, Enumerable.Repeat(float.NaN, g.N * g.C * g.InSpatial).ToArray(), g.N, g.C, g.H, g.W);
        dev.Backend.Conv2dForward(g, tx, tw, null, y);
        dev.Backend.Conv2dBackwardData(g, tdy, tw, dx);
        return (y.ToArray(), dx.ToArray());
    }

    /// <summary>Calls f(dy index, x index, w index) for every output pixel, tap and input channel of g whose tap reads
    /// inside the image: the definition both gradient references sum over.</summary>
    static void ForEachTap(in Conv2dGeom g, Action<int, int, int> f)
    {
        for (int n = 0; n < g.N; n++)
        for (int k = 0; k < g.K; k++)
        for (int oh = 0; oh < g.Ho; oh++)
        for (int ow = 0; ow < g.Wo; ow++)
        for (int c = 0; c < g.C; c++)
        for (int i = 0; i < g.Kh; i++)
        for (int j = 0; j < g.Kw; j++)
        {
            int ih = oh - g.Pad + i * g.Dil, iw = ow - g.Pad + j * g.Dil;
            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
            f(((n * g.K + k) * g.Ho + oh) * g.Wo + ow, ((n * g.C + c) * g.H + ih) * g.W + iw, ((k * g.C + c) * g.Kh + i) * g.Kw + j);
        }
    }

    /// <summary>dx by its definition, in double.</summary>
    internal static double[] DataGradReference(in Conv2dGeom g, float[] dy, float[] w)
    {
        var dx = new double[g.N * g.C * g.H * g.W];
        ForEachTap(g, (yi, xi, wi) => dx[xi] += (double)dy[yi] * w[wi]);
        return dx;
    }

    [TestCaseSource(nameof(CaseData))]
    public void DirectForwardHasThePackedPathsBitsAndTheDataGradientAgrees(int i)
    {
        var g = Geom(i);
        var (x, w, dy, yRef, dxRef) = Problem(g, 1 + i);
        foreach (var path in HostSimd.Available())
        {
            using var use = HostSimd.Use(path);
            var packed = Host(g, x, w, dy, direct: false);
            var direct = Host(g, x, w, dy, direct: true);
            // Same taps, same order, same K blocks: bit for bit (unless the packed path skips padding rows in bands).
            if (ConvRowBands.Of(g) is null) Assert.That(direct.Y, Is.EqualTo(packed.Y), $"{path}: direct forward vs packed forward");
            Assert.That(MaxRelErr(direct.Y, yRef), Is.LessThan(1e-5), $"{path}: y vs double reference");
            // The flipped convolution sums in another order than col2im: both close to the double reference.
            Assert.That(MaxRelErr(direct.Dx, dxRef), Is.LessThan(1e-5), $"{path}: direct dx vs double reference");
            Assert.That(MaxRelErr(packed.Dx, dxRef), Is.LessThan(1e-5), $"{path}: packed dx vs double reference");
        }
    }

    /// <summary>dW of g on the host with its columns read one way.</summary>
    internal static float[] HostWeightGrad(in Conv2dGeom g, float[] x, float[] dy, CpuBackend.WeightColumns path)
    {
        var dev = Device.Cpu;
        using var grid = Force(v => CpuBackend.UseDirectWeightGrad = v, CpuBackend.UseDirectWeightGrad, path == CpuBackend.WeightColumns.PaddedGrid);
        using var pixels = Force(v => CpuBackend.UsePixelTapWeightGrad = v, CpuBackend.UsePixelTapWeightGrad, path == CpuBackend.WeightColumns.PixelTaps);
        using var scope = Tensor.Scope();
        var tx = Tensor.FromArray(dev, x, g.N, g.C, g.H, g.W);
        var tdy = Tensor.FromArray(dev, dy, g.N, g.K, g.Ho, g.Wo);
        var dw = Tensor.Empty(dev, g.K, g.C, g.Kh, g.Kw);
        dev.Backend.Conv2dBackwardWeight(g, tx, tdy, dw);
        return dw.ToArray();
    }

    /// <summary>dW by its definition, in double.</summary>
    internal static double[] WeightGradReference(in Conv2dGeom g, float[] x, float[] dy)
    {
        var dw = new double[g.K * g.ColRows];
        ForEachTap(g, (yi, xi, wi) => dw[wi] += (double)dy[yi] * x[xi]);
        return dw;
    }

    [TestCaseSource(nameof(CaseData))]
    public void WeightGradientFromThePaddedImageAgreesWithTheGatheredColumns(int i)
    {
        var g = Geom(i);
        var x = Rand(g.N * g.C * g.H * g.W, 60 + i);
        // Large values in x's last column and first row: a spread output gradient that leaked into the padded grid's
        // extra columns would show at once.
        for (int n = 0; n < g.N * g.C; n++) { x[n * g.H * g.W + g.W - 1] = 50f; x[n * g.H * g.W] = -40f; }
        var dy = Rand(g.N * g.K * g.OutSpatial, 80 + i);
        var dwRef = WeightGradReference(g, x, dy);
        foreach (var path in HostSimd.Available())
        {
            using var use = HostSimd.Use(path);
            var direct = HostWeightGrad(g, x, dy, CpuBackend.WeightColumns.PaddedGrid);
            var pixels = HostWeightGrad(g, x, dy, CpuBackend.WeightColumns.PixelTaps);
            var gathered = HostWeightGrad(g, x, dy, CpuBackend.WeightColumns.Gathered);
            Assert.That(MaxRelErr(direct, dwRef), Is.LessThan(1e-5), $"{path}: padded-grid dW vs double reference");
            Assert.That(MaxRelErr(gathered, dwRef), Is.LessThan(1e-5), $"{path}: gathered dW vs double reference");
            // The same pixels in the same order on the same task grid: the same bits as the gathered columns, except where
            // those run as dot products along the pixels (a dW of at most 4096 floats over several images on an AVX path).
            bool dots = g.N > 1 && g.K * g.ColRows <= 4096 && path != HostSimdPath.Portable;
            if (dots) Assert.That(MaxRelErr(pixels, gathered.Select(v => (double)v).ToArray()), Is.LessThan(1e-5), $"{path}: pixel-tap dW vs gathered dW");
            else Assert.That(pixels, Is.EqualTo(gathered), $"{path}: pixel-tap dW vs gathered dW");
            Assert.That(HostWeightGrad(g, x, dy, CpuBackend.WeightColumns.PaddedGrid), Is.EqualTo(direct), $"{path}: padded-grid dW not repeatable");
        }
    }

    /// <summary>Asserts a path rule's choice for each case (geometry, whether the path is taken, why).</summary>
    internal static void Chooses(Func<Conv2dGeom, bool> rule, params (Conv2dGeom G, bool Taken, string Why)[] cases)
    {
        foreach (var (g, taken, why) in cases) Assert.That(rule(g), Is.EqualTo(taken), why);
    }

    [Test]
    public void PaddedImageWeightGradientIsChosenForFewOutputChannels()
    {
        Chooses(g => DirectConv.ReadsPixelTaps(g),
            (G(256, 17, 256, 3, 1, 4, 4), true, "stride 1, rows 17 wide"),
            (G(64, 65, 64, 3, 2, 1, 1), false, "stride 2: a row's pixels are not contiguous"),
            (G(64, 7, 64, 3, 1, 1, 1), false, "rows under 8 wide"),
            (G(64, 17, 64, 1, 1, 0, 1), false, "1x1"),
            (G(2048, 29, 256, 3, 1, 12, 12), false, "rate 12 at 29x29: a padded copy 3.3 times the image"),
            (G(4096, 29, 512, 3, 1, 1, 1), false, "PSPNet-50's head: 16 MB a padded image"));
        Chooses(g => DirectConv.PaysWeight(g),
            (G(64, 17, 64, 3, 1, 1, 1), true, "64 channels at 17x17: 12% extra columns"),
            (G(256, 17, 256, 3, 1, 4, 4), false, "256 channels, dilation 4: 47% extra"),
            (G(64, 65, 64, 1, 1, 0, 1), false, "1x1"));
    }

    [Test]
    public void WeightGradientTakesThePixelTapsWhereTheyApply()
    {
        Chooses(g => CpuBackend.WeightGradColumns(g) == CpuBackend.WeightColumns.PixelTaps,
            (G(64, 17, 64, 3, 1, 1, 1), true, "64 channels at 17x17: the padded grid pays too, the pixel taps are faster"),
            (G(32, 33, 256, 3, 1, 1, 1), true, "32 channels at 33x33, 256 outputs"),
            (G(256, 17, 256, 3, 1, 4, 4), true, "256 channels, dilation 4"),
            (G(32, 7, 32, 3, 1, 1, 1), false, "rows under 8 wide"),
            (G(64, 65, 64, 3, 2, 1, 1), false, "stride 2"));
        Assert.That(CpuBackend.WeightGradColumns(G(32, 7, 32, 3, 1, 1, 1)), Is.EqualTo(CpuBackend.WeightColumns.PaddedGrid),
            "rows under 8 wide, 32 channels: the padded grid");
        Assert.That(CpuBackend.WeightGradColumns(G(64, 17, 64, 1, 1, 0, 1)), Is.EqualTo(CpuBackend.WeightColumns.Pointwise), "1x1");
        Assert.That(CpuBackend.WeightGradColumns(G(64, 65, 64, 3, 2, 1, 1)), Is.EqualTo(CpuBackend.WeightColumns.Gathered), "stride 2");
    }

    /// <summary>One image's "same" 3x3 stride-1 conv at rate dil (pad = dil) on an hw x hw map.</summary>
    internal static Conv2dGeom Same3x3(int c, int hw, int k, int dil) => new(1, c, hw, hw, k, 3, 3, 1, dil, dil, hw, hw);

    internal static Conv2dGeom G(int c, int hw, int k, int kernel, int stride, int pad, int dil) =>
        new(1, c, hw, hw, k, kernel, kernel, stride, pad, dil,
            Conv2dGeom.OutSize(hw, kernel, stride, pad, dil), Conv2dGeom.OutSize(hw, kernel, stride, pad, dil));

    [Test]
    public void DirectIsChosenWhereThePaddedColumnsCostLessThanPacking()
    {
        Chooses(g => DirectConv.Pays(g),
            (G(64, 65, 64, 3, 1, 1, 1), true, "64 channels at 65x65: 3% extra columns"),
            (G(32, 33, 32, 3, 1, 2, 2), true, "32 channels, dilation 2"),
            (G(512, 29, 512, 3, 1, 4, 4), false, "512 channels, 28% extra columns"),
            (G(256, 29, 256, 3, 1, 12, 12), false, "rate 12 at 29x29"),
            (G(64, 65, 64, 3, 2, 1, 1), false, "stride 2"));
        Assert.That(DirectConv.Applies(G(64, 65, 64, 1, 1, 0, 1)), Is.False, "a 1x1 reads its input as B already");
    }

    [Test]
    public void TransposedGeometryIsTheDataGradientsConvolution()
    {
        var g = G(8, 20, 5, 3, 1, 2, 2);
        var t = DirectConv.Transposed(g);
        Assert.That(t, Is.Not.Null);
        Assert.That((t!.Value.C, t.Value.K, t.Value.H, t.Value.Pad, t.Value.Ho, t.Value.Wo), Is.EqualTo((5, 8, 20, 2, 20, 20)));
        Assert.That(DirectConv.Transposed(G(8, 20, 5, 3, 1, 3, 1)), Is.Null, "padding past the kernel's reach");
        Assert.That(DirectConv.Transposed(G(8, 20, 5, 3, 2, 1, 1)), Is.Null, "stride 2");
    }

    [Test]
    public unsafe void OverlappingOutputsAreRefused()
    {
        var g = G(2, 6, 3, 3, 1, 1, 1) with { N = 2 };
        var d = new DirectConv(null, null, g);
        var ex = Assert.Throws<ArgumentException>(() => HostGemm.SgemmDirect(2, 3, 18, 1f, null, 18, 0, d, 0f, null, 36, 36))!;
        Assert.That(ex.Message, Does.Contain("overlap"));
    }
}
