using RobustSeg.Engine.Cpu;

namespace RobustSeg.Engine.Tests;

/// <summary>The host's tap-by-tap convolution (<see cref="TapConv"/>): forward and data gradient against the double
/// definitions, and the weight gradient against the gathered columns', where the rate is large against the map (rectangles of every shape, taps that read nothing), without
/// padding (every tap whole), with a 5x5 and a 1x3 kernel; and where it is chosen.</summary>
[NonParallelizable]
public class TapConvTests
{
    // (n, c, h, w, k, kh, kw, pad, dilation)
    static readonly (int N, int C, int H, int W, int K, int Kh, int Kw, int P, int D)[] Cases =
    [
        (2, 6, 9, 9, 5, 3, 3, 4, 4),
        (3, 5, 11, 13, 7, 3, 3, 6, 6),
        (1, 7, 8, 9, 4, 3, 3, 9, 9),
        (2, 4, 12, 10, 6, 3, 3, 0, 2),
        (1, 4, 7, 7, 3, 5, 5, 2, 1),
        (2, 3, 6, 11, 5, 1, 3, 0, 4),
        (1, 20, 9, 9, 12, 3, 3, 4, 4),
        // More input channels than a K block (512 on AVX-512, 256 on AVX2): each rectangle's later K blocks add into y.
        (1, 600, 9, 9, 16, 3, 3, 4, 4),
        // A last tile of output channels only partly filled (13 on 8- or 6-row tiles) where the weight is packed 8 input
        // channels at a time (TapConv.PackTaps): its missing rows must be zero.
        (1, 24, 9, 9, 13, 3, 3, 4, 4),
    ];

    static IEnumerable<TestCaseData> CaseData() => Cases.Select((c, i) => new TestCaseData(i).SetName($"case {i}: {c}"));


    /// <summary>y and dx of g on the host with the tap GEMMs forced on, outputs first filled with NaN (a pixel no tap
    /// wrote would show).</summary>
    static (float[] Y, float[] Dx) Host(in Conv2dGeom g, float[] x, float[] w, float[] dy)
    {
        var (keepUse, keepWino) = (CpuBackend.UseTapConv, CpuBackend.UseWinograd);
        (CpuBackend.UseTapConv, CpuBackend.UseWinograd) = (true, false);
        try
        {
            return DirectConvTests.ForwardAndDataGrad(g, x, w, dy);
        }
        finally { (CpuBackend.UseTapConv, CpuBackend.UseWinograd) = (keepUse, keepWino); }
    }

    [TestCaseSource(nameof(CaseData))]
    public void ForwardAndDataGradientAgreeWithTheDoubleReference(int i)
    {
        var g = DirectConvTests.Geom(Cases[i]);
        var (x, w, dy, yRef, dxRef) = DirectConvTests.Problem(g, 200 + i);
        foreach (var path in HostSimd.Available())
        {
            using var use = HostSimd.Use(path);
            var (y, dx) = Host(g, x, w, dy);
            Assert.That(DirectConvTests.MaxRelErr(y, yRef), Is.LessThan(1e-5), $"{path}: y vs double reference");
            Assert.That(DirectConvTests.MaxRelErr(dx, dxRef), Is.LessThan(1e-5), $"{path}: dx vs double reference");
            Assert.That(Host(g, x, w, dy).Y, Is.EqualTo(y), $"{path}: not repeatable");
        }
    }

    /// <summary>Each task owns a band of output rows (forward: fewer output channels than pixels) or a block of channels
    /// (the data gradient of the 600-channel case), as many per image as the core count asks, and the weight gradient's
    /// tasks a tap's block of input channels per core: the bits must not change.</summary>
    [TestCase(7)]
    [TestCase(6)]
    [TestCase(1)]
    public void OneTwoAndThreeCoresGiveTheSameBits(int i)
    {
        var g = DirectConvTests.Geom(Cases[i]);
        var (x, w, dy, _, _) = DirectConvTests.Problem(g, 300 + i);
        int cores = HostParallel.Cores;
        var got = new List<(float[] Y, float[] Dx, float[] Dw)>();
        var keep = CpuBackend.UseTapConv;
        try
        {
            foreach (int t in new[] { 1, 2, 3 })
            {
                HostParallel.SetThreads(t);
                var (y, dx) = Host(g, x, w, dy);
                CpuBackend.UseTapConv = true;
                got.Add((y, dx, HostWeightGrad(g, x, dy)));
                CpuBackend.UseTapConv = keep;
            }
        }
        finally { HostParallel.SetThreads(cores); CpuBackend.UseTapConv = keep; }
        for (int t = 1; t < got.Count; t++)
        {
            Assert.That(got[t].Y, Is.EqualTo(got[0].Y), $"y on {t + 1} cores vs 1");
            Assert.That(got[t].Dx, Is.EqualTo(got[0].Dx), $"dx on {t + 1} cores vs 1");
            Assert.That(got[t].Dw, Is.EqualTo(got[0].Dw), $"dw on {t + 1} cores vs 1 (input channels cut per core)");
        }
    }

    /// <summary>Each tap's packed weight (TapConv.PackTaps: a forward's K x C, or flipped, the opposite tap transposed),
    /// from a panel on (channel blocks start there), times a tap window into its rectangle, gives the bits of the same
    /// GEMM on the plain weight matrix: the packed layout, the flip and the panel offset are what the GEMM expects.</summary>
    [Test]
    public unsafe void PackedTapWeightsGiveThePlainWeightsBits()
    {
        // 30 output channels: a part-filled last tile on every path; 40 input channels: 8-channel runs and a tail.
        var g = DirectConvTests.Geom((1, 40, 9, 9, 30, 3, 3, 4, 4));
        int taps = 9;
        var x = DirectConvTests.Rand(g.C * g.InSpatial, 41);
        var y0 = DirectConvTests.Rand(g.K * g.OutSpatial, 42);
        foreach (var path in HostSimd.Available())
        foreach (bool flipped in new[] { false, true })
        {
            using var use = HostSimd.Use(path);
            // Flipped, g is read as the data gradient's conv: w is stored [g.C][g.K][taps].
            var w = DirectConvTests.Rand(g.K * g.C * taps, 43);
            var sh = HostGemm.ShapeFor(path, g.K);
            var packed = new float[new PackedA(null, sh, g.K, g.C).Floats * taps + 16];
            foreach (int t in new[] { 0, 4, 8 })
            foreach (int panel0 in new[] { 0, 2 })
            {
                int k0 = panel0 * sh.Mr, m = g.K - k0;
                // Rows k0.. of tap t's plain K x C matrix.
                var plain = new float[m * g.C];
                for (int i = 0; i < m; i++)
                for (int p = 0; p < g.C; p++)
                    plain[i * g.C + p] = flipped ? w[((long)p * g.K + k0 + i) * taps + taps - 1 - t] : w[((long)(k0 + i) * g.C + p) * taps + t];
                var (r0, r1, c0, c1) = TapConv.Live(g, t / 3, t % 3);
                var want = (float[])y0.Clone();
                var got = (float[])y0.Clone();
                fixed (float* pw = w, pk = packed, px = x, pp = plain, py = want, pg = got)
                {
                    var pa = TapConv.PackTaps(g, pw, flipped, sh, (float*)(((nuint)pk + 63) & ~(nuint)63));
                    var cols = TapConv.Window(px, g, t / 3, t % 3);
                    int n = (r1 - r0) * (c1 - c0);
                    long at = (long)k0 * g.OutSpatial + (long)r0 * g.Wo + c0;
                    HostGemm.SgemmBatchedWindow(1, false, m, n, g.C, 1f, pp, g.C, 0, cols, 0, 0.5f, py + at, g.OutSpatial, 0, c1 - c0, g.Wo);
                    HostGemm.SgemmPackedA(pa.Next(t), panel0, m, n, 1f, cols, 0.5f, pg + at, g.OutSpatial, c1 - c0, g.Wo);
                }
                Assert.That(got, Is.EqualTo(want), $"{path}, flipped {flipped}, tap {t}, from panel {panel0}");
            }
        }
    }

    [Test]
    public void RowCutsShareTheLiveTapWork()
    {
        // Rate 6 at 29x29: rows 0-5 and 23-28 run 6 of the taps (their live columns 75 of 87), rows 6-22 all 9, so the
        // work is symmetric and two parts meet at the middle row's nearer edge.
        var g = G(8, 29, 8, 6);
        Assert.That(TapConv.RowCuts(g, 2), Is.EqualTo(new[] { 0, 15, 29 }).Or.EqualTo(new[] { 0, 14, 29 }));
        Assert.That(TapConv.RowCuts(g, 1), Is.EqualTo(new[] { 0, 29 }));
        var three = TapConv.RowCuts(g, 3);
        Assert.That(three, Is.Ordered.And.Length.EqualTo(4));
        Assert.That(three[1], Is.InRange(9, 11), "a third of the work: the light top rows make the first band taller");
        // More parts than rows: empty parts, never a cut past the end or out of order.
        var many = TapConv.RowCuts(G(8, 3, 8, 1), 5);
        Assert.That(many, Is.Ordered);
        Assert.That(many[^1], Is.EqualTo(3));
    }

    [TestCaseSource(nameof(CaseData))]
    public void WeightGradientAgreesWithTheDoubleReference(int i)
    {
        var g = DirectConvTests.Geom(Cases[i]);
        var x = DirectConvTests.Rand(g.N * g.C * g.H * g.W, 230 + i);
        var dy = DirectConvTests.Rand(g.N * g.K * g.OutSpatial, 260 + i);
        var dwRef = DirectConvTests.WeightGradReference(g, x, dy);
        var keep = CpuBackend.UseTapConv;
        try
        {
            foreach (var path in HostSimd.Available())
            {
                using var use = HostSimd.Use(path);
                CpuBackend.UseTapConv = true;
                Assert.That(CpuBackend.WeightGradColumns(g), Is.EqualTo(CpuBackend.WeightColumns.Taps), "forced path taken");
                // NaN first in the output: a tap left unwritten (one that reads only padding) would show.
                var dw = HostWeightGrad(g, x, dy);
                Assert.That(DirectConvTests.MaxRelErr(dw, dwRef), Is.LessThan(1e-5), $"{path}: tap dW vs double reference");
                Assert.That(HostWeightGrad(g, x, dy), Is.EqualTo(dw), $"{path}: not repeatable");
            }
        }
        finally { CpuBackend.UseTapConv = keep; }
    }

    static float[] HostWeightGrad(in Conv2dGeom g, float[] x, float[] dy)
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        var dw = Tensor.FromArray(dev, Enumerable.Repeat(float.NaN, g.K * g.ColRows).ToArray(), g.K, g.C, g.Kh, g.Kw);
        dev.Backend.Conv2dBackwardWeight(g, Tensor.FromArray(dev, x, g.N, g.C, g.H, g.W), Tensor.FromArray(dev, dy, g.N, g.K, g.Ho, g.Wo), dw);
        return dw.ToArray();
    }

    static Conv2dGeom G(int c, int hw, int k, int dil) => DirectConvTests.Same3x3(c, hw, k, dil);

    [Test]
    public void ChosenWhereMostTapsReadPadding()
    {
        Assert.That(TapConv.Share(G(2048, 29, 256, 18)), Is.EqualTo(51.0 * 51 / (87 * 87)).Within(1e-12), "rate 18 at 29x29");
        DirectConvTests.Chooses(g => TapConv.Pays(g),
            (G(2048, 29, 256, 18), true, "ASPP rate 18 at 29x29: 34 % of the taps live"),
            (G(2048, 29, 256, 12), true, "ASPP rate 12 at 29x29: 52 %"),
            (G(2048, 29, 256, 6), false, "ASPP rate 6 at 29x29: 74 %"),
            (G(256, 17, 256, 4), false, "rate 4 at 17x17: 71 %"),
            (G(256, 9, 256, 4), false, "rate 4 at 9x9: 49 %, but 81 pixels"),
            (G(128, 29, 128, 18), false, "128 channels"));
        Assert.That(TapConv.Pays(G(256, 29, 2048, 6), dataGradient: true), Is.True, "its data gradient");
        Assert.That(CpuBackend.WeightGradColumns(G(2048, 29, 256, 12)), Is.EqualTo(CpuBackend.WeightColumns.Taps), "rate 12's weight gradient");
        Assert.That(CpuBackend.WeightGradColumns(G(2048, 29, 256, 6)), Is.EqualTo(CpuBackend.WeightColumns.Taps),
            "rate 6's weight gradient: 2048 input channels, 74 % of the taps");
        Assert.That(TapConv.PaysWeightGrad(G(256, 29, 256, 6)), Is.False, "the same with 256 input channels");
        Assert.That(TapConv.PaysWeightGrad(G(256, 17, 256, 4)), Is.False, "rate 4 at 17x17, 256 channels: 71 %");
        Assert.That(TapConv.PaysWeightGrad(G(2048, 65, 256, 12)), Is.False, "rate 12 at 65x65: 77 %");
        Assert.That(TapConv.PaysWeightGrad(G(2048, 65, 256, 18)), Is.True, "rate 18 at 65x65: 66 %");
        Assert.That(TapConv.Applies(new Conv2dGeom(1, 64, 29, 29, 64, 3, 3, 2, 1, 1, 15, 15)), Is.False, "stride 2");
        Assert.That(TapConv.Live(G(8, 29, 8, 18), 0, 2), Is.EqualTo((18, 29, 0, 11)), "top-right tap: lower-left rectangle");
    }
}
