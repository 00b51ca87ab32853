using RobustSeg.Engine.Reference;

namespace RobustSeg.Engine.GradChecks;

/// <summary>Conv2d gradient checks on awkward shapes: odd sizes, 1x1 outputs, stride 2 on odd inputs,
/// dilations up to 12 (padding = dilation, as in the ASPP heads), 1x1 and non-square kernels, with and without bias.</summary>
static class ConvCases
{
    static GradCheckCase Case(string name, int n, int c, int h, int w, int k, int kh, int kw,
        int stride, int pad, int dil, bool bias) => new()
    {
        Op = "conv2d",
        Name = name,
        Shapes = bias ? [[n, c, h, w], [k, c, kh, kw], [k]] : [[n, c, h, w], [k, c, kh, kw]],
        Forward = t => F.Conv2d(t[0], t[1], bias ? t[2] : null, stride, pad, dil),
        Reference = a => ConvReference.Conv2d(a[0], a[1], bias ? a[2] : null, n, c, h, w, k, kh, kw, stride, pad, dil),
        RefSamples = 32,
        FdSamples = 8,
    };

    [GradCheckCases]
    static IEnumerable<GradCheckCase> Cases()
    {
        yield return Case("3x3-p1-bias-2x3x9x11", 2, 3, 9, 11, 4, 3, 3, 1, 1, 1, true);
        yield return Case("3x3-p0-odd-2x3x7x5", 2, 3, 7, 5, 4, 3, 3, 1, 0, 1, false);
        yield return Case("3x3-s2-p1-odd-2x3x11x13", 2, 3, 11, 13, 4, 3, 3, 2, 1, 1, true);
        yield return Case("1x1-2x3x9x9", 2, 3, 9, 9, 4, 1, 1, 1, 0, 1, true);
        yield return Case("1x1-s2-2x3x9x9", 2, 3, 9, 9, 4, 1, 1, 2, 0, 1, false);
        yield return Case("1x1-spatial1-2x5x1x1", 2, 5, 1, 1, 3, 1, 1, 1, 0, 1, true);
        yield return Case("3x3-p1-spatial1-2x3x1x1", 2, 3, 1, 1, 2, 3, 3, 1, 1, 1, false);
        yield return Case("1x3-p1-2x3x9x10", 2, 3, 9, 10, 4, 1, 3, 1, 1, 1, true);
        yield return Case("7x7-s2-p3-1x2x13x13", 1, 2, 13, 13, 3, 7, 7, 2, 3, 1, false);
        yield return Case("3x3-d2-p2-2x3x11x11", 2, 3, 11, 11, 4, 3, 3, 1, 2, 2, true);
        yield return Case("3x3-d4-p4-1x2x13x12", 1, 2, 13, 12, 3, 3, 3, 1, 4, 4, false);
        yield return Case("3x3-d6-p6-1x2x13x13", 1, 2, 13, 13, 2, 3, 3, 1, 6, 6, true);
        yield return Case("3x3-d12-p12-1x1x25x25", 1, 1, 25, 25, 2, 3, 3, 1, 12, 12, true);
    }
}
