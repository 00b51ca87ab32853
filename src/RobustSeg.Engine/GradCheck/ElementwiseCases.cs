using R = RobustSeg.Engine.Reference.ElementwiseReference;

namespace RobustSeg.Engine.GradChecks;

static class ElementwiseCases
{
    static readonly int[] S = [2, 3, 5, 7];

    static GradCheckCase Unary(string op, Func<Tensor, Tensor> f, Func<double, double> r, Func<int, Random, double>? init = null) => new()
    {
        Op = op, Name = "2x3x5x7", Shapes = [S], Forward = t => f(t[0]), Reference = h => R.Map(h[0], r), Init = init,
    };

    static GradCheckCase Binary(string op, Func<Tensor, Tensor, Tensor> f, Func<double, double, double> r, Func<int, Random, double>? init = null) => new()
    {
        Op = op, Name = "2x3x5x7", Shapes = [S, S], Forward = t => f(t[0], t[1]), Reference = h => R.Zip(h[0], h[1], r), Init = init,
    };

    // Keeps inputs away from kinks (0 for relu/abs/sign, the bounds for clamp) so differences are smooth.
    static double AwayFromZero(int i, Random g) { double v = 0.1 + 0.9 * g.NextDouble(); return g.Next(2) == 0 ? v : -v; }
    static double Positive(int i, Random g) => 0.2 + g.NextDouble();

    [GradCheckCases]
    static IEnumerable<GradCheckCase> Cases()
    {
        yield return Binary("add", F.Add, (a, b) => a + b);
        yield return Binary("sub", F.Sub, (a, b) => a - b);
        yield return Binary("mul", F.Mul, (a, b) => a * b);
        yield return Binary("div", F.Div, (a, b) => a / b, (i, g) => i == 1 ? Positive(i, g) : g.NextDouble() * 2 - 1);
        yield return Unary("add_scalar", x => F.AddScalar(x, 0.7f), x => x + 0.7);
        yield return Unary("mul_scalar", x => F.MulScalar(x, -1.3f), x => x * -1.3);
        yield return Unary("div_scalar", x => F.DivScalar(x, 3f), x => x / 3);
        yield return Unary("relu", F.Relu, x => Math.Max(0, x), AwayFromZero);
        yield return Unary("exp", F.Exp, Math.Exp);
        yield return Unary("log", F.Log, Math.Log, Positive);
        yield return Unary("sign", F.Sign, x => Math.Sign(x), AwayFromZero);
        yield return Unary("clamp", x => F.Clamp(x, -0.5f, 0.5f), x => Math.Clamp(x, -0.5, 0.5),
            (i, g) => { double v = g.NextDouble() * 2 - 1; return Math.Abs(Math.Abs(v) - 0.5) < 0.05 ? 0.2 : v; });
        yield return new GradCheckCase
        {
            Op = "mul_channel", Name = "2x3x5x7", Shapes = [S, [3]], Forward = t => F.MulChannel(t[0], t[1]),
            Reference = h => R.Channel(h[0], h[1], 3, 35, (a, b) => a * b),
        };
        yield return new GradCheckCase
        {
            Op = "add_channel", Name = "2x3x5x7", Shapes = [S, [3]], Forward = t => F.AddChannel(t[0], t[1]),
            Reference = h => R.Channel(h[0], h[1], 3, 35, (a, b) => a + b),
        };
        yield return new GradCheckCase
        {
            Op = "where", Name = "broadcast-mask", Shapes = [S, S],
            Forward = t =>
            {
                var mask = Tensor.FromArray(t[0].Device, Enumerable.Range(0, 70).Select(i => i % 3 == 0 ? 1 : 0).ToArray(), 2, 5, 7);
                return F.Where(mask, t[0], t[1]);
            },
            Reference = h => h[0].Select((v, j) => ((j / 105) * 35 + j % 35) % 3 == 0 ? v : h[1][j]).ToArray(),
        };
        yield return new GradCheckCase { Op = "sum", Name = "all", Shapes = [S], Forward = t => F.Sum(t[0]), Reference = h => [h[0].Sum()] };
        yield return new GradCheckCase { Op = "mean", Name = "all", Shapes = [S], Forward = t => F.Mean(t[0]), Reference = h => [h[0].Average()] };
        yield return new GradCheckCase
        {
            Op = "sum", Name = "axes-0-2-3", Shapes = [S], Forward = t => F.Sum(t[0], [0, 2, 3]),
            Reference = h => R.SumAxes(h[0], S, [0, 2, 3]),
        };
        yield return new GradCheckCase
        {
            Op = "mean", Name = "axes-1", Shapes = [S], Forward = t => F.Mean(t[0], [1], keepDim: true),
            Reference = h => R.SumAxes(h[0], S, [1]).Select(v => v / 3).ToArray(),
        };
        yield return new GradCheckCase
        {
            Op = "sum", Name = "long-rows-20000", Shapes = [[20000]], Forward = t => F.Sum(t[0]), Reference = h => [h[0].Sum()],
            RefSamples = 16, FdSamples = 4, FloatStep = 0.5,
        };
        yield return new GradCheckCase
        {
            Op = "max", Name = "channels", Shapes = [S], Forward = t => F.MaxChannels(t[0]).Values,
            Reference = h => R.MaxChannels(h[0], 2, 3, 35),
        };
        yield return new GradCheckCase
        {
            Op = "concat", Name = "3+2", Shapes = [S, [2, 2, 5, 7]], Forward = t => F.Concat(t[0], t[1]),
            Reference = h => Enumerable.Range(0, 2).SelectMany(b => h[0].Skip(b * 105).Take(105).Concat(h[1].Skip(b * 70).Take(70))).ToArray(),
        };
        yield return new GradCheckCase
        {
            Op = "slice", Name = "1..3", Shapes = [S], Forward = t => F.SliceChannels(t[0], 1, 2),
            Reference = h => R.Slice(h[0], 2, 3, 35, 1, 2),
        };
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            int m = 5, n = 7, k = 4;
            yield return new GradCheckCase
            {
                Op = "matmul", Name = $"5x4x7{(ta ? "-tA" : "")}{(tb ? "-tB" : "")}",
                Shapes = [ta ? [k, m] : [m, k], tb ? [n, k] : [k, n]],
                Forward = t => F.MatMul(t[0], t[1], ta, tb),
                Reference = h => R.MatMul(h[0], h[1], 1, m, n, k, ta, tb),
            };
        }
        yield return new GradCheckCase
        {
            Op = "matmul", Name = "batched-3x5x4x7", Shapes = [[3, 5, 4], [3, 4, 7]],
            Forward = t => F.MatMul(t[0], t[1]), Reference = h => R.MatMul(h[0], h[1], 3, 5, 7, 4, false, false),
        };
    }
}
