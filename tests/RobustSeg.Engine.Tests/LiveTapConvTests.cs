using RobustSeg.Engine.Cpu;

namespace RobustSeg.Engine.Tests;

/// <summary>The host's live-tap convolution (<see cref="LiveTapConv"/>, AVX-512 and AVX2 kernels), forward and, as the flipped forward,
/// data gradient: against the double definitions where the rate is large against the map (segments with every subset of
/// kernel columns, rows no tap reaches), without padding, with a 5x5 and a 1x3 kernel, several K blocks and a part-filled
/// last one, by K block or by panel first; the same bits on any core count; its tiles and where it is chosen.</summary>
[NonParallelizable]
public class LiveTapConvTests
{
    // (n, c, h, w, k, kh, kw, pad, dilation)
    static readonly (int N, int C, int H, int W, int K, int Kh, int Kw, int P, int D)[] Cases =
    [
        (2, 32, 9, 9, 32, 3, 3, 4, 4),
        (3, 16, 11, 13, 64, 3, 3, 6, 6),
        (1, 16, 8, 9, 32, 3, 3, 9, 9),
        (2, 32, 12, 10, 32, 3, 3, 0, 2),
        (1, 16, 7, 7, 32, 5, 5, 2, 1),
        (2, 16, 6, 11, 32, 1, 3, 0, 4),
        // 272 channels: two whole K blocks of 128 and a last one of 16, each adding into the tiles.
        (1, 272, 9, 9, 32, 3, 3, 4, 4),
        // Rows of 29 (segments of 6, 17 and 6: tiles of 6, 9 and 8 pixels) as DeepLabV3's ASPP rate 6.
        (1, 32, 29, 29, 64, 3, 3, 6, 6),
        // An input over LiveTapConv's panel-first budget (160 x 841 floats): K block by K block, every panel against each.
        (2, 160, 29, 29, 64, 3, 3, 6, 6),
    ];

    static IEnumerable<TestCaseData> CaseData() => Cases.Select((c, i) => new TestCaseData(i).SetName($"case {i}: {c}"));

    /// <summary>y and dx of g with the live-tap path forced on (the channels-last and Winograd paths off), first filled with
    /// NaN; the data gradient runs it where its flipped conv has whole 32-channel output panels (g.C).</summary>
    static (float[] Y, float[] Dx) Host(in Conv2dGeom g, float[] x, float[] w, float[] dy)
    {
        using var live = DirectConvTests.Force(v => CpuBackend.UseLiveTapConv = v, CpuBackend.UseLiveTapConv, true);
        using var noWinograd = DirectConvTests.Force(v => CpuBackend.UseWinograd = v, CpuBackend.UseWinograd, false);
        using var noChannelsLast = DirectConvTests.Force(v => CpuBackend.UseChannelsLastConv = v, CpuBackend.UseChannelsLastConv, false);
        return DirectConvTests.ForwardAndDataGrad(g, x, w, dy);
    }

    /// <summary>The SIMD paths with a live-tap kernel on this CPU (the test is ignored without one).</summary>
    static HostSimdPath[] Paths()
    {
        var paths = HostSimd.Available().Where(p => p is HostSimdPath.Avx512 or HostSimdPath.Avx2).ToArray();
        if (paths.Length == 0) Assert.Ignore("no AVX2 on this CPU: the path does not apply");
        return paths;
    }

    [TestCaseSource(nameof(CaseData))]
    public void ForwardAndDataGradientAgreeWithTheDoubleReference(int i)
    {
        var g = DirectConvTests.Geom(Cases[i]);
        var (x, w, dy, yRef, dxRef) = DirectConvTests.Problem(g, 500 + i);
        foreach (var path in Paths())
        {
            using var use = HostSimd.Use(path);
            Assert.That(LiveTapConv.Applies(g), Is.True, $"{path}");
            var (y, dx) = Host(g, x, w, dy);
            Assert.That(DirectConvTests.MaxRelErr(y, yRef), Is.LessThan(1e-5), $"{path}: y vs double reference");
            Assert.That(DirectConvTests.MaxRelErr(dx, dxRef), Is.LessThan(1e-5), $"{path}: dx vs double reference");
            Assert.That(Host(g, x, w, dy), Is.EqualTo((y, dx)), $"{path}: not repeatable");
        }
    }

    /// <summary>The cases whose data gradient runs here too (flipped weight packing): 32 or more input channels.</summary>
    [Test]
    public void SomeCasesRunTheDataGradientHere()
    {
        foreach (var path in Paths())
        {
            using var use = HostSimd.Use(path);
            var flipped = Cases.Select(c => DirectConv.Transposed(DirectConvTests.Geom(c))).Count(gt => gt is { } t && LiveTapConv.Applies(t));
            Assert.That(flipped, Is.GreaterThanOrEqualTo(3), $"{path}");
        }
    }

    /// <summary>Tasks own images and parts of the output channels: the bits must not change with the core count.</summary>
    [TestCase(1)]
    [TestCase(6)]
    [TestCase(7)]
    [TestCase(8)]
    public void OneTwoAndThreeCoresGiveTheSameBits(int i)
    {
        var g = DirectConvTests.Geom(Cases[i]);
        var (x, w, dy, _, _) = DirectConvTests.Problem(g, 600 + i);
        int cores = HostParallel.Cores;
        foreach (var path in Paths())
        {
            using var use = HostSimd.Use(path);
            var got = new List<(float[] Y, float[] Dx)>();
            try
            {
                foreach (int t in new[] { 1, 2, 3 })
                {
                    HostParallel.SetThreads(t);
                    got.Add(Host(g, x, w, dy));
                }
            }
            finally { HostParallel.SetThreads(cores); }
            for (int t = 1; t < got.Count; t++)
            {
                Assert.That(got[t].Y, Is.EqualTo(got[0].Y), $"{path}: y on {t + 1} cores vs 1");
                Assert.That(got[t].Dx, Is.EqualTo(got[0].Dx), $"{path}: dx on {t + 1} cores vs 1");
            }
        }
    }

    /// <summary>Rate 6 at 29x29: each row cut at columns 6 and 23 (where the outer kernel columns start and stop reading
    /// inside), the middle segment into 9 + 8 pixels; rows 0-5 without the top kernel row; every pixel covered once.</summary>
    [Test]
    public void TilesCutRowsWhereTheLiveKernelColumnsChange()
    {
        var g = DirectConvTests.Geom((1, 16, 29, 29, 32, 3, 3, 6, 6));
        var tiles = LiveTapConv.Tiles(g, 12);
        var row0 = tiles.Where(t => t.Oh == 0).ToList();
        Assert.That(row0.Select(t => (t.Ow, t.Pixels)), Is.EqualTo(new[] { (0, 6), (6, 9), (15, 8), (23, 6) }));
        Assert.That(row0.Select(t => (t.Kw0, t.Kw1)), Is.EqualTo(new[] { (1, 3), (0, 3), (0, 3), (0, 2) }));
        Assert.That(row0.All(t => t.Kh0 == 1 && t.Kh1 == 3), Is.True, "row 0: kernel rows 1 and 2");
        Assert.That(tiles.Where(t => t.Oh == 14).All(t => t.Kh0 == 0 && t.Kh1 == 3), Is.True, "row 14: every kernel row");
        var covered = new int[g.OutSpatial];
        foreach (var t in tiles) for (int p = 0; p < t.Pixels; p++) covered[t.Oh * g.Wo + t.Ow + p]++;
        Assert.That(covered.All(c => c == 1), Is.True, "every output pixel in exactly one tile");
    }

    /// <summary>Taken for DeepLabV3's ASPP at 29x29 (forward 2048->256, data gradient 256->2048) on both kernels, not where it
    /// measured no faster: the same at 65x65 rate 6 (87 % of taps live), 512 channels at rate 4; nor on the portable path.</summary>
    [Test]
    public void ChosenForAsppAt29()
    {
        foreach (var path in Paths())
        {
            using var use = HostSimd.Use(path);
            foreach (int rate in new[] { 6, 12, 18 })
            {
                var g = DirectConvTests.Geom((1, 2048, 29, 29, 256, 3, 3, rate, rate));
                Assert.That(LiveTapConv.Pays(g), Is.True, $"{path}: rate {rate} forward");
                Assert.That(LiveTapConv.Pays(DirectConv.Transposed(g)!.Value), Is.True, $"{path}: rate {rate} data gradient");
            }
            Assert.That(LiveTapConv.Pays(DirectConvTests.Geom((1, 2048, 65, 65, 256, 3, 3, 6, 6))), Is.False, $"{path}: 65x65 rate 6");
            Assert.That(LiveTapConv.Pays(DirectConvTests.Geom((1, 512, 29, 29, 512, 3, 3, 4, 4))), Is.False, $"{path}: 512 at rate 4");
        }
        using var portable = HostSimd.Use(HostSimdPath.Portable);
        Assert.That(LiveTapConv.Pays(DirectConvTests.Geom((1, 2048, 29, 29, 256, 3, 3, 6, 6))), Is.False, "portable");
    }
}
