using RobustSeg.Engine.Reference;

namespace RobustSeg.Engine.GradChecks;

static class LossCases
{
    /// <summary>Deterministic labels in [0, k) with about one pixel in five set to 255 (ignored).</summary>
    static int[] Labels(int n, int s, int k, bool allIgnored = false) =>
        Enumerable.Range(0, n * s).Select(i => allIgnored || i % 5 == 3 ? 255 : (i * 7 + i / 3) % k).ToArray();

    static double Spread(int i, Random g) => (g.NextDouble() * 2 - 1) * 3; // logits on a useful scale

    static GradCheckCase Softmax(string name, int[] shape, bool log) => new()
    {
        Op = log ? "log_softmax" : "softmax", Name = name, Shapes = [shape], Init = Spread,
        Forward = t => log ? F.LogSoftmax(t[0]) : F.Softmax(t[0]),
        Reference = x => LossReference.Softmax(x[0], shape[0], shape[1], shape.Skip(2).Aggregate(1, (a, b) => a * b), log),
    };

    static GradCheckCase Ce(string name, int n, int k, int h, int w, bool perPixel, bool allIgnored = false)
    {
        var labels = Labels(n, h * w, k, allIgnored);
        return new()
        {
            Op = perPixel ? "cross_entropy_per_pixel" : "cross_entropy", Name = name, Shapes = [[n, k, h, w]], Init = Spread,
            Forward = t =>
            {
                var lab = Tensor.FromArray(t[0].Device, labels, n, h, w);
                return perPixel ? F.CrossEntropyPerPixel(t[0], lab) : F.CrossEntropy(t[0], lab);
            },
            Reference = x => perPixel
                ? LossReference.CrossEntropyPerPixel(x[0], labels, n, k, h * w, 255)
                : [LossReference.CrossEntropy(x[0], labels, n, k, h * w, 255)],
        };
    }

    [GradCheckCases]
    static IEnumerable<GradCheckCase> Cases()
    {
        yield return Softmax("2x5x3x4", [2, 5, 3, 4], false);
        yield return Softmax("rows-3x7", [3, 7], false);
        yield return Softmax("1-channel", [2, 1, 3], false);
        yield return Softmax("2x5x3x4", [2, 5, 3, 4], true);
        yield return Softmax("rows-3x7", [3, 7], true);
        yield return Ce("2x5x4x3-ignore", 2, 5, 4, 3, false);
        yield return Ce("1x21x7x9-ignore", 1, 21, 7, 9, false);
        yield return Ce("all-ignored", 2, 4, 3, 3, false, allIgnored: true);
        yield return Ce("2x5x4x3-ignore", 2, 5, 4, 3, true);
        yield return Ce("all-ignored", 1, 3, 2, 2, true, allIgnored: true);
    }
}
