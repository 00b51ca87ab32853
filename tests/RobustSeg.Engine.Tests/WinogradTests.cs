using RobustSeg.Engine.Cpu;

namespace RobustSeg.Engine.Tests;

/// <summary>The host's Winograd F(2x2, 3x3) convolution (<see cref="Winograd"/>): forward and data gradient against the
/// double-precision definitions on odd maps, every dilation a phase grid can take (rate above half the map, above the
/// map), channel counts that are no multiple of the 8 lanes, and blocks of channels small enough that both the input
/// and the output channels are cut; and where it is chosen.</summary>
[NonParallelizable]
public class WinogradTests
{
    // (n, c, h, w, k, dilation)
    static readonly (int N, int C, int H, int W, int K, int D)[] Cases =
    [
        (1, 8, 5, 5, 3, 1),
        (2, 13, 9, 7, 11, 1),
        (3, 16, 17, 17, 20, 4),
        (2, 10, 12, 13, 9, 2),
        (1, 6, 11, 10, 7, 3),
        (1, 5, 6, 7, 4, 5),
        (2, 4, 3, 4, 5, 8),
        (1, 40, 8, 9, 36, 1),
    ];

    static IEnumerable<TestCaseData> CaseData() => Cases.Select((c, i) => new TestCaseData(i).SetName($"case {i}: {c}"));

    static Conv2dGeom Geom(int i)
    {
        var c = Cases[i];
        return DirectConvTests.Geom((c.N, c.C, c.H, c.W, c.K, 3, 3, c.D, c.D));
    }

    /// <summary>y and dx of g on the host with Winograd forced on, outputs first filled with NaN (a pixel no tile wrote
    /// would show), the transformed operands cut into blocks of at most block floats.</summary>
    static (float[] Y, float[] Dx) Host(in Conv2dGeom g, float[] x, float[] w, float[] dy, long block)
    {
        var (keepUse, keepBlock) = (CpuBackend.UseWinograd, CpuBackend.WinogradBlock);
        CpuBackend.UseWinograd = true;
        CpuBackend.WinogradBlock = block;
        try
        {
            return DirectConvTests.ForwardAndDataGrad(g, x, w, dy);
        }
        finally { (CpuBackend.UseWinograd, CpuBackend.WinogradBlock) = (keepUse, keepBlock); }
    }

    [TestCaseSource(nameof(CaseData))]
    public void ForwardAndDataGradientAgreeWithTheDoubleReference(int i)
    {
        var g = Geom(i);
        var (x, w, dy, yRef, dxRef) = DirectConvTests.Problem(g, 100 + i);
        int tiles = g.N * Winograd.TilesPerImage(g);
        foreach (var path in HostSimd.Available().Where(p => p != HostSimdPath.Portable))
        {
            using var use = HostSimd.Use(path);
            Assert.That(Winograd.Applies(g), $"{path}: Winograd applies");
            // One block of each operand, then blocks of 5 channels (several input and output blocks; V rebuilt per block).
            foreach (long block in new[] { 1L << 22, 5L * Winograd.Xi * (tiles + Winograd.Lanes) })
            {
                var (y, dx) = Host(g, x, w, dy, block);
                Assert.That(DirectConvTests.MaxRelErr(y, yRef), Is.LessThan(1e-5), $"{path}, block {block}: y vs double reference");
                Assert.That(DirectConvTests.MaxRelErr(dx, dxRef), Is.LessThan(1e-5), $"{path}, block {block}: dx vs double reference");
                Assert.That(Host(g, x, w, dy, block).Y, Is.EqualTo(y), $"{path}, block {block}: not repeatable");
            }
        }
    }

    [Test]
    public void TilesAreCountedPerPhaseGrid()
    {
        // 17 outputs at rate 4: phases of 5, 4, 4, 4 outputs take 3 + 2 + 2 + 2 tiles a side.
        Assert.That(Winograd.TilesPerImage(G(64, 17, 64, 4)), Is.EqualTo(81));
        Assert.That(Winograd.TilesPerImage(G(64, 29, 64, 1)), Is.EqualTo(225));
        // Rate 8 on 3 rows: three phases of one output each.
        Assert.That(Winograd.TilesPerImage(G(64, 3, 64, 8)), Is.EqualTo(9));
    }

    static Conv2dGeom G(int c, int hw, int k, int dil) => DirectConvTests.Same3x3(c, hw, k, dil);

    [Test]
    public void ChosenForWideConvsWhereFewMultiplyAddsAreWasted()
    {
        if (!HostSimd.Available().Contains(HostSimdPath.Avx2)) Assert.Ignore("no AVX2 here");
        using var use = HostSimd.Use(HostSimdPath.Avx2);
        DirectConvTests.Chooses(g => Winograd.Pays(g),
            (G(512, 29, 512, 4), true, "ResNet layer4 at 29x29, rate 4"),
            (G(256, 17, 256, 4), true, "rate 4 at 17x17: 81 tiles"),
            (G(128, 17, 128, 2), true, "AVX2, 128 channels, 81 tiles"),
            (G(64, 57, 64, 1), true, "AVX2, 64 channels, 841 tiles"),
            (G(32, 17, 32, 1), false, "AVX2, 32 channels: the transforms cost more than they save"),
            (G(64, 65, 64, 1) with { N = 2 }, false, "AVX2, 2178 tiles: the transformed operands leave the cache"),
            (G(256, 29, 256, 6), false, "ASPP rate 6 at 29x29: padding taps multiplied"),
            (G(256, 29, 256, 18), false, "rate 18 at 29x29: most of each tile overhangs the map"));
        Assert.That(Winograd.Pays(G(64, 17, 64, 1), dataGradient: true), Is.False, "AVX2, 64 channels data gradient");
        Assert.That(Winograd.Pays(G(128, 17, 128, 2), dataGradient: true), Is.True, "128 channels data gradient");
        if (HostSimd.Available().Contains(HostSimdPath.Avx512))
        {
            using var wide = HostSimd.Use(HostSimdPath.Avx512);
            DirectConvTests.Chooses(g => Winograd.Pays(g),
                (G(256, 17, 256, 4), true, "AVX-512, rate 4 at 17x17"),
                (G(128, 17, 128, 2), false, "AVX-512, 128 channels forward: a tie"),
                (G(64, 57, 64, 1), false, "AVX-512, 64 channels: 1.2-1.5x slower"));
            Assert.That(Winograd.Pays(G(128, 17, 128, 2), dataGradient: true), Is.False, "AVX-512, 128 channels data gradient");
            Assert.That(Winograd.Pays(G(256, 17, 256, 4), dataGradient: true), Is.True, "AVX-512, 256 channels data gradient");
        }
        Assert.That(Winograd.Applies(new Conv2dGeom(1, 64, 29, 29, 64, 3, 3, 2, 1, 1, 15, 15)), Is.False, "stride 2");
        Assert.That(Winograd.Applies(new Conv2dGeom(1, 64, 29, 29, 64, 3, 3, 1, 0, 1, 27, 27)), Is.False, "no padding");
        using var portable = HostSimd.Use(HostSimdPath.Portable);
        Assert.That(Winograd.Applies(G(512, 29, 512, 4)), Is.False, "portable path: no gathers");
    }
}
