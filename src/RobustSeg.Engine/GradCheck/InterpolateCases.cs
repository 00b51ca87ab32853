using RobustSeg.Engine.Reference;

namespace RobustSeg.Engine.GradChecks;

static class InterpolateCases
{
    static GradCheckCase Case(string name, int n, int c, int h, int w, int oh, int ow) => new()
    {
        Op = "interpolate_bilinear", Name = name, Shapes = [[n, c, h, w]],
        Forward = t => F.InterpolateBilinear(t[0], oh, ow),
        Reference = x => InterpolateReference.Bilinear(x[0], n * c, h, w, oh, ow),
        RefSamples = 48, FdSamples = 8,
    };

    [GradCheckCases]
    static IEnumerable<GradCheckCase> Cases()
    {
        yield return Case("up-7to33", 1, 2, 7, 7, 33, 33);
        yield return Case("down-57to29", 1, 1, 57, 57, 29, 29);
        yield return Case("odd-5x7to9x4", 2, 3, 5, 7, 9, 4);
        yield return Case("in-1x1", 1, 2, 1, 1, 4, 5);
        yield return Case("out-1x1", 1, 2, 5, 6, 1, 1);
        yield return Case("row-1x6to3x11", 1, 1, 1, 6, 3, 11);
        yield return Case("same-4x4", 2, 2, 4, 4, 4, 4);
    }
}
