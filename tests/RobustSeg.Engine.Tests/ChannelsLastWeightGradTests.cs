using RobustSeg.Engine.Cpu;
using static RobustSeg.Engine.Tests.DirectConvTests;

namespace RobustSeg.Engine.Tests;

/// <summary>The channels-last weight gradient (<see cref="HostGemm.WeightGradChannelsLast"/>): against the definition in
/// double on every SIMD path, its groups of images and core counts giving the same bits, and where it is chosen.</summary>
[NonParallelizable]
public class ChannelsLastWeightGradTests
{
    // (n, c, h, w, k, kh, kw, pad, dil): a partial row panel (20 outputs) over several blocks of pixels (4222 on the padded
    // grid: three of AVX-512's 2048 for 32 channels, three of AVX2's 2048) with rows not a multiple of 8 wide; dilation 2; a 5x5 with more outputs than one panel holds; a 1x3 without padding; 64 channels
    // (two 32-column panels, four 16-column ones); 128 channels with outputs over several row panels and rows 5 wide
    // (dy packed a short output row at a time).
    static readonly (int N, int C, int H, int W, int K, int Kh, int Kw, int P, int D)[] Cases =
    [
        (2, 32, 66, 62, 20, 3, 3, 1, 1),
        (2, 32, 9, 13, 64, 3, 3, 2, 2),
        (2, 32, 12, 12, 33, 5, 5, 2, 1),
        (2, 32, 6, 10, 8, 1, 3, 0, 1),
        (2, 64, 11, 9, 12, 3, 3, 1, 1),
        (2, 128, 7, 5, 40, 3, 3, 1, 1),
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

    [Test]
    public void GroupsOfImagesAndCoreCountsGiveTheSameBits()
    {
        var (g, x, dy) = Problem(0);
        var whole = ChannelsLast(g, x, dy);
        long keep = CpuBackend.ChannelsLastScratch;
        int cores = HostParallel.Cores;
        try
        {
            CpuBackend.ChannelsLastScratch = 1;   // one image a group: later groups add to the sum so far
            Assert.That(ChannelsLast(g, x, dy), Is.EqualTo(whole), "one image a group");
            CpuBackend.ChannelsLastScratch = keep;
            HostParallel.SetThreads(1);
            Assert.That(ChannelsLast(g, x, dy), Is.EqualTo(whole), "one core");
        }
        finally
        {
            CpuBackend.ChannelsLastScratch = keep;
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
                    (G(32, 17, 32, 3, 1, 2, 2), false, "dilation 2 at 17x17: 24 % extra columns"),
                    (G(32, 65, 32, 3, 2, 1, 1), false, "stride 2"));
        if (HostSimd.Available().Contains(HostSimdPath.Avx2))
            using (HostSimd.Use(HostSimdPath.Avx2))
                Chooses(g => CpuBackend.WeightGradColumns(g) == CpuBackend.WeightColumns.ChannelsLast,
                    (G(32, 65, 32, 3, 1, 1, 1), true, "AVX2: 32 -> 32 at 65x65"),
                    (G(64, 57, 64, 3, 1, 1, 1), true, "AVX2: 64 channels at 57x57"),
                    (G(32, 65, 128, 3, 1, 1, 1), false, "AVX2: 128 outputs"),
                    (G(128, 33, 128, 3, 1, 1, 1), false, "AVX2: 128 channels"));
        using (HostSimd.Use(HostSimdPath.Portable))
            Assert.That(CpuBackend.WeightGradColumns(G(32, 65, 32, 3, 1, 1, 1)), Is.Not.EqualTo(CpuBackend.WeightColumns.ChannelsLast), "portable");
    }
}
