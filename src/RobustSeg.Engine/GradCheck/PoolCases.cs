using R = RobustSeg.Engine.Reference.PoolReference;

namespace RobustSeg.Engine.GradChecks;

static class PoolCases
{
    /// <summary>Distinct values 0.05 apart in a shuffled order: finite differences never flip an argmax.
    /// Stateful over the calls for one input (the checker draws the values in order, once per run).</summary>
    static Func<int, Random, double> Distinct(int count)
    {
        var rng = new Random(7);
        var perm = Enumerable.Range(0, count).OrderBy(_ => rng.Next()).ToArray();
        int next = 0;
        return (i, g) => (perm[next++ % count] - count / 2) * 0.05;
    }

    static GradCheckCase Max(int[] shape, int k, int s, int p) => new()
    {
        Op = "max_pool2d", Name = $"{string.Join("x", shape)}-k{k}s{s}p{p}", Shapes = [shape],
        Forward = t => F.MaxPool2d(t[0], k, s, p),
        Reference = h => R.MaxPool2d(h[0], shape[0] * shape[1], shape[2], shape[3], k, s, p),
        Init = Distinct(shape.Aggregate(1, (a, v) => a * v)),
    };

    static GradCheckCase Avg(int[] shape, int oh, int ow) => new()
    {
        Op = "adaptive_avg_pool2d", Name = $"{string.Join("x", shape)}-to-{oh}x{ow}", Shapes = [shape],
        Forward = t => F.AdaptiveAvgPool2d(t[0], oh, ow),
        Reference = h => R.AdaptiveAvgPool2d(h[0], shape[0] * shape[1], shape[2], shape[3], oh, ow),
    };

    [GradCheckCases]
    static IEnumerable<GradCheckCase> Cases()
    {
        yield return Max([2, 3, 9, 9], 3, 2, 1);   // the ResNet stem's pool
        yield return Max([1, 2, 8, 7], 3, 2, 1);
        yield return Max([1, 2, 6, 5], 2, 2, 0);   // floor mode drops the last column
        yield return Max([1, 2, 5, 6], 3, 1, 1);   // overlapping windows
        yield return Max([2, 1, 1, 1], 1, 1, 0);
        foreach (var b in new[] { 1, 2, 3, 6 }) yield return Avg([1, 2, 29, 29], b, b);
        yield return Avg([2, 1, 10, 7], 3, 6);
        yield return Avg([1, 2, 5, 7], 6, 9);      // output larger than the input
    }
}
