using RobustSeg.Engine.Cpu;
using static RobustSeg.Engine.Tests.DirectConvTests;

namespace RobustSeg.Engine.Tests;

/// <summary>The channels-last AVX-512 convolution (<see cref="ChannelsLastConv"/>): forward and data gradient against
/// the definition in double, the same bits for any core count, and where it is chosen.</summary>
[NonParallelizable]
public class ChannelsLastConvTests
{
    // (n, c, h, w, k, kh, kw, pad, dil): rows 13 wide (row tiles of 13, rows 12-13 through the planar store); 32 -> 64 at
    // dilation 2 (row tiles of 10, its data gradient 64 -> 32 too); a 5x5 from 64 channels (row tiles of 9, and its data
    // gradient); a taller map than wide (row tiles of 9); pixel tiles: 128 -> 64 at rate 2 (its data gradient 64 -> 128
    // on row tiles of 9, four column panels), 64 -> 128 on a 7-wide map (row tiles of 8, 14 % extra; 128 -> 64 back on
    // pixel tiles), 256 -> 32 (its data gradient on row tiles of 8), 96 -> 32 (K blocks of 512 ending inside a tap; its
    // data gradient on the padded grid); rows 57 wide on the padded grid, tiles spanning row ends; 64 channels on pixel
    // tiles where grid tiles would compute 60 % extra (5 wide); two maps taller than a core's window holds (its rows
    // moved on, the halo kept): grid tiles from 64 channels (row tiles of 12, the data gradient's 32 channels too) and
    // pixel tiles from 128 at rate 2 (the data gradient on row tiles of 10). Each with a partial last tile.
    static readonly (int N, int C, int H, int W, int K, int Kh, int Kw, int P, int D)[] Cases =
    [
        (3, 32, 11, 13, 32, 3, 3, 1, 1),
        (2, 32, 9, 10, 64, 3, 3, 2, 2),
        (2, 64, 8, 9, 32, 5, 5, 2, 1),
        (1, 32, 20, 17, 32, 3, 3, 1, 1),
        (2, 128, 7, 9, 64, 3, 3, 2, 2),
        (2, 64, 6, 7, 128, 3, 3, 1, 1),
        (1, 256, 5, 7, 32, 3, 3, 1, 1),
        (2, 96, 6, 5, 32, 3, 3, 1, 1),
        (1, 32, 4, 57, 32, 3, 3, 1, 1),
        (2, 64, 4, 5, 32, 3, 3, 1, 1),
        (1, 64, 80, 60, 32, 3, 3, 1, 1),
        (1, 128, 30, 40, 32, 3, 3, 2, 2),
    ];

    /// <summary>Which of <see cref="Cases"/> run on pixel tiles (forward, data gradient).</summary>
    static readonly (bool Fwd, bool Dgrad)[] PixelCases = [(false, false), (false, false), (false, false), (false, false), (true, false), (false, true), (true, false), (true, false), (false, false), (true, false), (false, false), (true, false)];

    /// <summary>Grid tiles' layout of <see cref="Cases"/> (forward, data gradient) where they run on grid tiles
    /// (<see cref="ChannelsLastConv.GridRows"/>: 0 the padded grid, else tiles of that many pixels per row); -1 on pixel tiles.</summary>
    static readonly (int Fwd, int Dgrad)[] GridRowCases = [(13, 13), (10, 10), (9, 9), (9, 9), (-1, 9), (8, -1), (-1, 8), (-1, 0), (0, 0), (-1, 8), (12, 12), (-1, 10)];

    static IEnumerable<TestCaseData> CaseData() => Cases.Select((c, i) => new TestCaseData(i).SetName($"case {i}: {c}"));

    static void NeedAvx512()
    {
        if (!HostSimd.Available().Contains(HostSimdPath.Avx512)) Assert.Ignore("no AVX-512 here: the path is AVX-512's");
    }

    static (float[] Y, float[] Dx) Run(in Conv2dGeom g, float[] x, float[] w, float[] dy)
    {
        using var use = HostSimd.Use(HostSimdPath.Avx512);
        using var force = Force(v => CpuBackend.UseChannelsLastConv = v, CpuBackend.UseChannelsLastConv, true);
        return ForwardAndDataGrad(g, x, w, dy);
    }

    [TestCaseSource(nameof(CaseData))]
    public void ForwardAndDataGradientAgreeWithTheDefinition(int i)
    {
        NeedAvx512();
        var g = Geom(Cases[i]);
        using (HostSimd.Use(HostSimdPath.Avx512))
        {
            Assert.That(ChannelsLastConv.Applies(g), Is.True, "forward applies");
            Assert.That(ChannelsLastConv.Applies(DirectConv.Transposed(g)!.Value), Is.True, "data gradient applies");
            Assert.That((ChannelsLastConv.PixelTiles(g), ChannelsLastConv.PixelTiles(DirectConv.Transposed(g)!.Value)), Is.EqualTo(PixelCases[i]),
                "pixel tiles (forward, data gradient)");
            var gt = DirectConv.Transposed(g)!.Value;
            Assert.That((PixelCases[i].Fwd ? -1 : ChannelsLastConv.GridRows(g), PixelCases[i].Dgrad ? -1 : ChannelsLastConv.GridRows(gt)),
                Is.EqualTo(GridRowCases[i]), "grid tiles' rows (forward, data gradient)");
        }
        var (x, w, dy, yRef, dxRef) = Problem(g, 130 + i);
        var (y, dx) = Run(g, x, w, dy);
        Assert.That(MaxRelErr(y, yRef), Is.LessThan(1e-5), "y vs double reference");
        Assert.That(MaxRelErr(dx, dxRef), Is.LessThan(1e-5), "dx vs double reference");
    }

    [TestCase(0, TestName = "grid tiles: core counts give the same bits")]
    [TestCase(8, TestName = "grid tiles on the padded grid: core counts give the same bits")]
    [TestCase(4, TestName = "pixel tiles: core counts give the same bits")]
    [TestCase(10, TestName = "grid tiles, rows moving through the window: core counts give the same bits")]
    public void CoreCountsGiveTheSameBits(int i)
    {
        NeedAvx512();
        var g = Geom(Cases[i]);
        var (x, w, dy, _, _) = Problem(g, 150);
        var (y, dx) = Run(g, x, w, dy);
        int cores = HostParallel.Cores;
        try
        {
            // One core runs every tile through one window; three start theirs at other tiles.
            foreach (int n in new[] { 1, 3 })
            {
                HostParallel.SetThreads(n);
                var (yn, dxn) = Run(g, x, w, dy);
                Assert.That(yn, Is.EqualTo(y), $"y, {n} cores");
                Assert.That(dxn, Is.EqualTo(dx), $"dx, {n} cores");
            }
        }
        finally
        {
            HostParallel.SetThreads(cores);
        }
    }

    [Test]
    public void IsChosenForThirtyTwoAndSixtyFourChannelsAndPixelTilesForOneHundredTwentyEightOnAvx512()
    {
        NeedAvx512();
        using (HostSimd.Use(HostSimdPath.Avx512))
            Chooses(g => ChannelsLastConv.Pays(g),
                (G(32, 65, 32, 3, 1, 1, 1), true, "the stem's 32 -> 32 at 65x65"),
                (G(32, 65, 64, 3, 1, 1, 1), true, "32 -> 64 at 65x65"),
                (G(32, 33, 32, 3, 1, 1, 1), true, "layer1 at 33x33"),
                (G(64, 33, 32, 3, 1, 1, 1), true, "64 -> 32 (a data gradient's flipped conv)"),
                (G(32, 33, 128, 3, 1, 1, 1), false, "128 outputs"),
                (G(128, 17, 128, 3, 1, 1, 1), true, "128 channels at 17x17: pixel tiles"),
                (G(128, 17, 128, 3, 1, 2, 2), true, "128 channels at rate 2: pixel tiles"),
                (G(128, 17, 64, 3, 1, 1, 1), true, "128 -> 64 (a data gradient's flipped conv): pixel tiles"),
                (G(128, 57, 128, 3, 1, 1, 1), true, "128 channels at 57x57: pixel tiles"),
                (G(256, 17, 256, 3, 1, 4, 4), false, "256 channels"),
                (G(128, 17, 128, 5, 1, 2, 1), false, "a 5x5 on 128 channels"),
                (G(64, 17, 64, 3, 1, 2, 2), true, "64 channels at 17x17 rate 2: row tiles of 9"),
                (G(32, 17, 32, 3, 1, 2, 2), true, "dilation 2 at 17x17: row tiles of 9, 6 % extra pixels"),
                (G(32, 17, 32, 3, 1, 4, 4), true, "dilation 4 at 17x17: row tiles of 9 (the padded grid would add 47 %)"),
                (G(64, 57, 64, 3, 1, 1, 1), true, "64 channels at 57x57"),
                (G(64, 17, 64, 3, 1, 1, 1), true, "64 channels at 17x17: row tiles of 9"),
                (G(64, 9, 64, 3, 1, 1, 1), true, "64 channels at 9x9: row tiles of 9"),
                (G(64, 5, 32, 3, 1, 1, 1), false, "64 channels 5 wide: 60 % extra pixels (pixel tiles, not taken)"),
                (G(32, 65, 32, 3, 2, 1, 1), false, "stride 2"),
                (G(32, 33, 32, 1, 1, 0, 1), false, "1x1"));
        // Row tiles where they compute fewer pixels than the padded grid: none between rows against 2-4 per row (rate 1-2).
        Assert.That(ChannelsLastConv.GridRows(G(64, 65, 64, 3, 1, 1, 1)), Is.EqualTo(13), "rows of 65: 5 tiles of 13");
        Assert.That(ChannelsLastConv.GridRows(G(64, 65, 64, 3, 1, 2, 2)), Is.EqualTo(13), "rows of 65 at rate 2");
        Assert.That(ChannelsLastConv.GridRows(G(32, 33, 32, 3, 1, 1, 1)), Is.EqualTo(11), "rows of 33: 3 tiles of 11");
        Assert.That(ChannelsLastConv.GridRows(G(32, 17, 32, 3, 1, 2, 2)), Is.EqualTo(9), "rows of 17 at rate 2: 2 tiles of 9");
        Assert.That(ChannelsLastConv.GridRows(G(64, 57, 64, 3, 1, 1, 1)), Is.Zero, "rows of 57: 60 in row tiles, 59 on the grid");
        Assert.That(ChannelsLastConv.GridRows(G(64, 113, 64, 3, 1, 1, 1)), Is.Zero, "rows of 113: 117 in row tiles, 115 on the grid");
        foreach (var path in HostSimd.Available().Where(p => p != HostSimdPath.Avx512))
        {
            using var use = HostSimd.Use(path);
            Assert.That(ChannelsLastConv.Applies(G(32, 65, 32, 3, 1, 1, 1)), Is.False, $"{path}: AVX-512 only");
        }
    }
}
