namespace RobustSeg.Adversarial.Attacks;

/// <summary>APGD on host vectors: the same <see cref="ApgdSchedule"/> the attack uses, driven by a given loss
/// function over double[] points (one per "image") instead of a model. It exists so the bookkeeping can
/// be compared with the reference loop on a fixed toy landscape (scripts/gen_apgd_trace_reference.py);
/// the update is the reference's L-inf step: z = P(x + eta sign(g)), x' = P(x + a (z - x) + (1 - a)(x - x_prev)),
/// a = 1 at the first iteration and 0.75 after, P = clip to [x0 - eps, x0 + eps] and then to [0, 1].</summary>
public static class ApgdToy
{
    /// <summary>Per iteration (rows) and image (columns): the step size after the iteration's bookkeeping
    /// and the tracked loss of the iterate.</summary>
    public sealed record Trace(double[][] StepSize, double[][] Loss);

    /// <param name="gradient">the attack loss's gradient at a point of image j</param>
    /// <param name="track">the tracked loss (the best point and the checkpoints use it) at a point of image j</param>
    public static Trace Run(Func<int, double[], double[]> gradient, Func<int, double[], double> track,
        double[][] x0, double eps, int iterations)
    {
        int n = x0.Length;
        var x = x0.Select(r => (double[])r.Clone()).ToArray();
        var xOld = x.Select(r => (double[])r.Clone()).ToArray();
        var g = Enumerable.Range(0, n).Select(j => gradient(j, x[j])).ToArray();
        var xBest = x.Select(r => (double[])r.Clone()).ToArray();
        var gBest = g.Select(r => (double[])r.Clone()).ToArray();
        var schedule = new ApgdSchedule(iterations, eps, Enumerable.Range(0, n).Select(j => track(j, x[j])).ToArray());
        var trace = new Trace(new double[iterations][], new double[iterations][]);

        for (int i = 0; i < iterations; i++)
        {
            double a = i > 0 ? 0.75 : 1.0;
            var loss = new double[n];
            for (int j = 0; j < n; j++)
            {
                var next = new double[x[j].Length];
                for (int d = 0; d < next.Length; d++)
                {
                    double lo = x0[j][d] - eps, hi = x0[j][d] + eps;
                    double z = Box(x[j][d] + schedule.StepSize[j] * Math.Sign(g[j][d]), lo, hi);
                    next[d] = Box(x[j][d] + (z - x[j][d]) * a + (x[j][d] - xOld[j][d]) * (1 - a), lo, hi);
                }
                xOld[j] = x[j];
                x[j] = next;
                g[j] = gradient(j, next);
                loss[j] = track(j, next);
            }
            var decision = schedule.Step(i, loss);
            for (int j = 0; j < n; j++)
            {
                if (decision.Improved[j]) { xBest[j] = (double[])x[j].Clone(); gBest[j] = (double[])g[j].Clone(); }
                if (decision.Reduced?[j] == true) { x[j] = (double[])xBest[j].Clone(); g[j] = (double[])gBest[j].Clone(); }
            }
            trace.StepSize[i] = (double[])schedule.StepSize.Clone();
            trace.Loss[i] = loss;
        }
        return trace;
    }

    // The reference's order: the eps box first, then [0, 1].
    static double Box(double v, double lo, double hi) => Math.Clamp(Math.Min(Math.Max(v, lo), hi), 0.0, 1.0);
}
