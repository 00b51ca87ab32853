using R = RobustSeg.Engine.Reference.ShapeReference;

namespace RobustSeg.Engine.GradChecks;

static class ShapeCases
{
    static readonly int[] S = [2, 3, 4, 5];

    [GradCheckCases]
    static IEnumerable<GradCheckCase> Cases()
    {
        for (int axis = 0; axis < 4; axis++)
        {
            int a = axis;
            yield return new GradCheckCase
            {
                Op = "narrow", Name = $"axis{a}", Shapes = [S],
                Forward = t => F.Narrow(t[0], a, 1, S[a] - 1), Reference = h => R.Narrow(h[0], S, a, 1, S[a] - 1),
            };
            yield return new GradCheckCase
            {
                Op = "pad", Name = $"axis{a}", Shapes = [S],
                Forward = t => F.Pad(t[0], a, 2, 1, 0.25f), Reference = h => R.Pad(h[0], S, a, 2, 1, 0.25),
            };
            int[] s2 = (int[])S.Clone(); s2[a] = 2;
            yield return new GradCheckCase
            {
                Op = "cat", Name = $"axis{a}", Shapes = [S, s2],
                Forward = t => F.Cat([t[0], t[1]], a), Reference = h => R.Cat(h, [S, s2], a),
            };
        }
        yield return new GradCheckCase
        {
            Op = "crop2d", Name = "2x3x4x5", Shapes = [S],
            Forward = t => F.Crop2d(t[0], 1, 2, 2, 3), Reference = h => R.Narrow(R.Narrow(h[0], S, 2, 1, 2), [2, 3, 2, 5], 3, 2, 3),
        };
        yield return new GradCheckCase
        {
            Op = "pad2d", Name = "fill", Shapes = [S],
            Forward = t => F.Pad2d(t[0], 1, 2, 7, 8, [0.5f, -1f, 2f]), Reference = h => R.Pad2d(h[0], S, 1, 2, 7, 8, [0.5, -1, 2]),
        };
        yield return new GradCheckCase
        {
            Op = "expand_channels", Name = "2x1x4x5->6", Shapes = [[2, 1, 4, 5]],
            Forward = t => F.ExpandChannels(t[0], 6), Reference = h => R.ExpandChannels(h[0], [2, 1, 4, 5], 6),
        };
    }
}
