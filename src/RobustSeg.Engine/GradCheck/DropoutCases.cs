using R = RobustSeg.Engine.Reference.DropoutReference;

namespace RobustSeg.Engine.GradChecks;

static class DropoutCases
{
    [GradCheckCases]
    static IEnumerable<GradCheckCase> Cases()
    {
        foreach (var p in new[] { 0.3, 0.5 })
            yield return new GradCheckCase
            {
                Op = "dropout2d", Name = $"p{p}-3x5x4x3", Shapes = [[3, 5, 4, 3]],
                Forward = t => F.Dropout2d(t[0], (float)p, true, 42),
                Reference = h => R.Dropout2d(h[0], 3, 5, 12, (float)p, 42),
            };
    }
}
