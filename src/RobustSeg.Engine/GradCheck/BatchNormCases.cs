using R = RobustSeg.Engine.Reference.BatchNormReference;

namespace RobustSeg.Engine.GradChecks;

static class BatchNormCases
{
    // Running stats are made inside the forward (training updates them in place, and the checker calls
    // the forward many times).
    static double[] RunMean(int c) => Enumerable.Range(0, c).Select(i => (double)(float)(0.1 * i - 0.05)).ToArray();
    static double[] RunVar(int c) => Enumerable.Range(0, c).Select(i => (double)(float)(0.5 + 0.3 * i)).ToArray();

    static Tensor Bn(Tensor x, Tensor? w, Tensor? b, bool training)
    {
        int c = x.Size(1);
        var rm = Tensor.FromArray(x.Device, RunMean(c).Select(v => (float)v).ToArray(), c);
        var rv = Tensor.FromArray(x.Device, RunVar(c).Select(v => (float)v).ToArray(), c);
        return F.BatchNorm2d(x, w, b, rm, rv, training);
    }

    static Tensor BnRelu(Tensor x, Tensor w, Tensor b, Tensor? residual, bool training)
    {
        int c = x.Size(1);
        var rm = Tensor.FromArray(x.Device, RunMean(c).Select(v => (float)v).ToArray(), c);
        var rv = Tensor.FromArray(x.Device, RunVar(c).Select(v => (float)v).ToArray(), c);
        return F.BatchNormRelu2d(x, w, b, rm, rv, training, residual: residual);
    }

    /// <summary>relu(bn(x) + residual): the residual is 3 to 4 away from zero with a random sign, so almost no
    /// pre-activation sits near the ReLU's kink (finite differences across it would disagree).</summary>
    static GradCheckCase BnReluCase(string name, int[] shape, bool training, bool residual)
    {
        int n = shape[0], c = shape[1], s = shape.Skip(2).Aggregate(1, (a, v) => a * v);
        return new GradCheckCase
        {
            Op = "batch_norm_relu2d", Name = $"{(training ? "train" : "eval")}-{(residual ? "residual-" : "")}{name}",
            Shapes = residual ? [shape, [c], [c], shape] : [shape, [c], [c]],
            Forward = t => BnRelu(t[0], t[1], t[2], residual ? t[3] : null, training),
            Reference = h =>
            {
                var y = R.Forward(h[0], h[1], h[2], RunMean(c), RunVar(c), training, n, c, s);
                for (int i = 0; i < y.Length; i++) y[i] = Math.Max(0, y[i] + (residual ? h[3][i] : 0));
                return y;
            },
            Init = (i, g) => i switch
            {
                1 => 0.5 + g.NextDouble(),
                3 => (g.Next(2) == 0 ? -1 : 1) * (3 + g.NextDouble()),
                _ => g.NextDouble() * 2 - 1,
            },
        };
    }

    static GradCheckCase Affine(string name, int[] shape, bool training)
    {
        int n = shape[0], c = shape[1], s = shape.Skip(2).Aggregate(1, (a, v) => a * v);
        return new GradCheckCase
        {
            Op = "batch_norm2d", Name = $"{(training ? "train" : "eval")}-{name}", Shapes = [shape, [c], [c]],
            Forward = t => Bn(t[0], t[1], t[2], training),
            Reference = h => R.Forward(h[0], h[1], h[2], RunMean(c), RunVar(c), training, n, c, s),
            // Weights away from zero (a zero weight hides the input gradient of its channel).
            Init = (i, g) => i == 1 ? 0.5 + g.NextDouble() : g.NextDouble() * 2 - 1,
        };
    }

    [GradCheckCases]
    static IEnumerable<GradCheckCase> Cases()
    {
        yield return Affine("2x3x5x7", [2, 3, 5, 7], true);
        yield return Affine("2x3x5x7", [2, 3, 5, 7], false);
        yield return Affine("odd-3x2x7x5", [3, 2, 7, 5], true);
        yield return Affine("1x1-spatial-4x3x1x1", [4, 3, 1, 1], true);
        yield return Affine("n1-1x1-spatial", [1, 3, 1, 1], false);
        yield return new GradCheckCase
        {
            Op = "batch_norm2d", Name = "train-no-affine-2x3x4x4", Shapes = [[2, 3, 4, 4]],
            Forward = t => Bn(t[0], null, null, true),
            Reference = h => R.Forward(h[0], null, null, RunMean(3), RunVar(3), true, 2, 3, 16),
        };
        yield return BnReluCase("2x3x5x7", [2, 3, 5, 7], true, residual: true);
        yield return BnReluCase("2x3x5x7", [2, 3, 5, 7], false, residual: true);
        // Without a residual about half the outputs are clamped; the rest are away from the kink by chance.
        yield return BnReluCase("3x2x4x5", [3, 2, 4, 5], true, residual: false);
        // A long reduction per channel (4 * 40 * 40 values): the finish merges many partials.
        yield return new GradCheckCase
        {
            Op = "batch_norm2d", Name = "train-long-4x2x40x40", Shapes = [[4, 2, 40, 40], [2], [2]],
            Forward = t => Bn(t[0], t[1], t[2], true),
            Reference = h => R.Forward(h[0], h[1], h[2], RunMean(2), RunVar(2), true, 4, 2, 1600),
            Init = (i, g) => i == 1 ? 0.5 + g.NextDouble() : g.NextDouble() * 2 - 1,
            RefSamples = 24, FdSamples = 6,
        };
    }
}
