using RobustSeg.Engine.Cpu;

namespace RobustSeg.Engine.Tests;

/// <summary>Which output rows of a convolution skip which kernel rows (the host's banded convolution; its results
/// are checked against the kernels and the double reference in Conv2dTests).</summary>
public class ConvRowBandsTests
{
    static Conv2dGeom G(int hw, int stride, int pad, int dil, int k = 3)
    {
        int o = Conv2dGeom.OutSize(hw, k, stride, pad, dil);
        return new Conv2dGeom(1, 8, hw, hw, 4, k, k, stride, pad, dil, o, o);
    }

    [Test]
    public void Rate24At29RunsOnlyTheCentreRowInTheMiddle()
    {
        var bands = ConvRowBands.Of(G(29, 1, 24, 24));
        Assert.That(bands, Is.EqualTo(new[]
        {
            new ConvRowBand(0, 5, 1, 3),   // the top rows: no row above the image
            new ConvRowBand(5, 24, 1, 2),  // only the centre row lies inside
            new ConvRowBand(24, 29, 0, 2),
        }));
        Assert.That(ConvRowBands.PadH(G(29, 1, 24, 24), bands![1]), Is.EqualTo(0));
    }

    [Test]
    public void BandsAreUsedOnlyWhereTheySaveEnough()
    {
        Assert.That(ConvRowBands.Of(G(65, 1, 1, 1)), Is.Null, "3x3 at 65x65 loses two rows of taps in 65");
        Assert.That(ConvRowBands.Of(G(29, 1, 2, 2)), Is.Null, "dilation 2 at 29x29: 5% of the taps");
        Assert.That(ConvRowBands.Of(G(29, 1, 12, 12)), Is.Not.Null, "rate 12 at 29x29: 28%, bands of 145 pixels and more");
        Assert.That(ConvRowBands.Of(G(17, 1, 4, 4)), Is.Null, "dilation 4 at 17x17: 16%");
        Assert.That(ConvRowBands.Of(G(9, 1, 4, 4)), Is.Null, "dilation 4 at 9x9 saves 30%, but in bands of 36 pixels");
        Assert.That(ConvRowBands.Of(G(29, 1, 0, 1, k: 1)), Is.Null, "one kernel row");
    }

    [Test]
    public void TheConvTestsStridedCaseRunsInBands()
    {
        // Conv2dTests' strided banded case (41x51, stride 2, dilation 16): bands of 8, 5 and 8 rows of 26 pixels.
        var g = new Conv2dGeom(1, 3, 41, 51, 4, 3, 3, 2, 16, 16, 21, 26);
        Assert.That(ConvRowBands.Of(g), Is.EqualTo(new[] { new ConvRowBand(0, 8, 1, 3), new ConvRowBand(8, 13, 0, 3), new ConvRowBand(13, 21, 0, 2) }));
    }

    [Test]
    public unsafe void NarrowedWeightKeepsTheBandsRows()
    {
        var g = G(29, 1, 24, 24) with { K = 2, C = 3 };
        var w = Enumerable.Range(0, g.K * g.C * 9).Select(i => (float)i).ToArray();
        var band = new ConvRowBand(0, 5, 1, 3);
        var dst = new float[g.K * g.C * 6];
        fixed (float* pw = w, pd = dst) ConvRowBands.NarrowRows(g, pw, band, pd);
        // (k, c) block kc keeps its rows 1 and 2: elements 3..8 of its 9.
        var expected = Enumerable.Range(0, g.K * g.C).SelectMany(kc => Enumerable.Range(3, 6).Select(t => (float)(kc * 9 + t)));
        Assert.That(dst, Is.EqualTo(expected));
    }
}
