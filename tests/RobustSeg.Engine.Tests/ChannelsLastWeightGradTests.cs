using RobustSeg.Engine.Cpu;
using static RobustSeg.Engine.Tests.DirectConvTests;

namespace RobustSeg.Engine.Tests;

/// <summary>The channels-last weight gradient (<see cref="HostGemm.WeightGradChannelsLast"/>): against the definition in
/// double on every SIMD path, core counts giving the same bits, and where it is chosen.</summary>
[NonParallelizable]
public class ChannelsLastWeightGradTests
{
    // (n, c, h, w, k, kh, kw, pad, dil): a partial row panel (20 outputs) over several row blocks (66 output rows on a
    // padded grid 64 wide: blocks of 32 rows on AVX-512 and AVX2, the halo moved up between them) with rows not a multiple
    // of 8 wide; dilation 2; a 5x5 with more outputs than one panel holds; a 1x3 without padding; 64 channels (two 32-column
    // panels, four 16-column ones); 128 channels with outputs over several row panels and rows 5 wide (dy packed a short
    // output row at a time); dilation 2 over two row blocks of 64 channels; dilation 8 on rows 300 wide, whose 16-row halo
    // is taller than a block (6 rows: the halo moved up overlaps itself).
    static readonly (int N, int C, int H, int W, int K, int Kh, int Kw, int P, int D)[] Cases =
    [
        (2, 32, 66, 62, 20, 3, 3, 1, 1),
        (2, 32, 9, 13, 64, 3, 3, 2, 2),
        (2, 32, 12, 12, 33, 5, 5, 2, 1),
        (2, 32, 6, 10, 8, 1, 3, 0, 1),
        (2, 64, 11, 9, 12, 3, 3, 1, 1),
        (2, 128, 7, 5, 40, 3, 3, 1, 1),
        (1, 64, 40, 30, 16, 3, 3, 2, 2),
        (1, 32, 24, 300, 8, 3, 3, 8, 8),
    ];

    static IEnumerable<TestCaseData> CaseData() => Cases.Select((c, i) => new TestCaseData(i).SetName($"case {i}: {c}"));

    static float[] ChannelsLast(in Conv2dGeom g, float[] x, float[] dy)
    {
        using var cl = Force(v => CpuBackend.UseChannelsLastWeightGrad = v, CpuBackend.UseChannelsLastWeightGrad, true);
        Assert.That(CpuBackend.WeightGradColumns(g), Is.EqualTo(CpuBackend.WeightColumns.ChannelsLast), "forced path taken");
        return HostWeightGrad(g, x, dy, CpuBackend.WeightColumns.ChannelsLast);
    }

    static (Conv2dGeom G, float[] X, float[] Dy) Problem(int i)
    {
        var g = Geom(Cases[i]);
        var x = Rand(g.N * g.C * g.H * g.W, 90 + i);
        // Large values on the image's border: a tap reading the wrong pixel, or dy leaking into the padded grid's extra
        // columns, would show at once.
        for (int p = 0; p < g.N * g.C; p++) { x[p * g.H * g.W + g.W - 1] = 50f; x[p * g.H * g.W] = -40f; }
        return (g, x, Rand(g.N * g.K * g.OutSpatial, 110 + i));
    }

    [TestCaseSource(nameof(CaseData))]
    public void AgreesWithTheDefinitionOnEveryPath(int i)
    {
        var (g, x, dy) = Problem(i);
        var dwRef = WeightGradReference(g, x, dy);
        foreach (var path in HostSimd.Available())
        {
            using var use = HostSimd.Use(path);
            if (!HostGemm.ChannelsLastApplies(g)) { Assert.That(g.C % 32, Is.Not.Zero, $"{path}: 32 channels apply everywhere"); continue; }
            var dw = ChannelsLast(g, x, dy);
            Assert.That(MaxRelErr(dw, dwRef), Is.LessThan(1e-5), $"{path}: channels-last dW vs double reference");
        }
    }

    [TestCase(0)]
    [TestCase(4)]
    public void CoreCountsGiveTheSameBits(int i)
    {
        var (g, x, dy) = Problem(i);
        var whole = ChannelsLast(g, x, dy);
        int cores = HostParallel.Cores;
        try
        {
            // One core walks every tile; three split a column panel's row panels (case 0) or run across two column
            // panels (case 4), so a core lays out part of dy's rows or more than one panel's channels.
            foreach (int n in new[] { 1, 3 })
            {
                HostParallel.SetThreads(n);
                Assert.That(ChannelsLast(g, x, dy), Is.EqualTo(whole), $"{n} cores");
            }
        }
        finally
        {
            HostParallel.SetThreads(cores);
        }
    }

    [Test]
    public void IsChosenByChannelsAndOutputsPerSimdPath()
    {
        if (HostSimd.Available().Contains(HostSimdPath.Avx512))
            using (HostSimd.Use(HostSimdPath.Avx512))
                Chooses(g => CpuBackend.WeightGradColumns(g) == CpuBackend.WeightColumns.ChannelsLast,
                    (G(32, 65, 32, 3, 1, 1, 1), true, "the stem's 32 -> 32 at 65x65"),
                    (G(32, 65, 64, 3, 1, 1, 1), true, "32 -> 64 at 65x65"),
                    (G(32, 33, 32, 3, 1, 1, 1), true, "layer1 at 33x33"),
                    (G(32, 65, 128, 3, 1, 1, 1), true, "128 outputs"),
                    (G(64, 57, 64, 3, 1, 1, 1), true, "64 channels at 57x57"),
                    (G(128, 33, 128, 3, 1, 1, 1), true, "128 channels at 33x33"),
                    (G(32, 33, 256, 3, 1, 1, 1), false, "256 outputs"),
                    (G(256, 33, 256, 3, 1, 1, 1), false, "256 channels"),
                    (G(64, 17, 64, 3, 1, 1, 1), false, "64 channels at 17x17: 12 % extra columns"),
                    (G(64, 33, 64, 3, 1, 2, 2), true, "64 channels at 33x33 rate 2: 12 % extra columns on a wide map"),
                    (G(128, 17, 128, 3, 1, 2, 2), false, "128 channels at 17x17 rate 2: 24 % extra columns"),
                    (G(32, 17, 32, 3, 1, 2, 2), true, "32 channels at 17x17 rate 2: 24 % extra columns, one column panel"),
                    (G(32, 17, 32, 3, 1, 4, 4), false, "32 channels at 17x17 rate 4: 47 % extra columns"),
                    (G(32, 65, 32, 3, 2, 1, 1), false, "stride 2"));
        if (HostSimd.Available().Contains(HostSimdPath.Avx2))
            using (HostSimd.Use(HostSimdPath.Avx2))
                Chooses(g => CpuBackend.WeightGradColumns(g) == CpuBackend.WeightColumns.ChannelsLast,
                    (G(32, 65, 32, 3, 1, 1, 1), true, "AVX2: 32 -> 32 at 65x65"),
                    (G(64, 57, 64, 3, 1, 1, 1), true, "AVX2: 64 channels at 57x57"),
                    (G(32, 17, 32, 3, 1, 1, 1), true, "AVX2: 32 channels at 17x17: 12 % extra columns"),
                    (G(64, 17, 64, 3, 1, 1, 1), false, "AVX2: 64 channels at 17x17"),
                    (G(32, 65, 128, 3, 1, 1, 1), false, "AVX2: 128 outputs"),
                    (G(128, 33, 128, 3, 1, 1, 1), false, "AVX2: 128 channels"));
        using (HostSimd.Use(HostSimdPath.Portable))
            Assert.That(CpuBackend.WeightGradColumns(G(32, 65, 32, 3, 1, 1, 1)), Is.Not.EqualTo(CpuBackend.WeightColumns.ChannelsLast), "portable");
    }
}
