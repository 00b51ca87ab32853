using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>APGD (Croce and Hein 2020), L-inf, per image: step size starts at 2 eps; updates use momentum
/// alpha = 0.75, x_{k+1} = P(x_k + 0.75 (z - x_k) + 0.25 (x_k - x_{k-1})) with z = P(x_k + eta sign(g));
/// at checkpoints (first after 0.22 T steps, then intervals shrinking by 0.03 T down to 0.06 T) the step
/// is halved and the iterate restarts from the best-loss point when fewer than 75% of the steps since
/// the last checkpoint increased the loss, or when the step was not reduced at the last checkpoint and
/// the best loss has not improved since. Alpha in the options is not used. The returned images are the
/// per-image lowest-accuracy iterates (over iterates and restarts).</summary>
public sealed class Apgd(IPixelLoss loss) : IAttack
{
    public IPixelLoss Loss { get; } = loss;
    public string Name => "apgd-" + Loss.Name;

    const float Momentum = 0.75f;
    const double Rho = 0.75;

    /// <summary>Checkpoint steps (0-based iteration indices at which the conditions are checked).</summary>
    public static List<int> Checkpoints(int steps)
    {
        var r = new List<int>();
        int first = Math.Max((int)(0.22 * steps), 1), min = Math.Max((int)(0.06 * steps), 1), decr = Math.Max((int)(0.03 * steps), 1);
        int k = first, at = first;
        while (at < steps) { r.Add(at); k = Math.Max(k - decr, min); at += k; }
        return r;
    }

    public Tensor Perturb(SegForward model, Tensor images01, Tensor labels, AttackContext ctx)
    {
        var o = ctx.Options;
        o.Validate();
        int n = images01.Size(0);
        using var target = new AttackTarget(labels, o.IgnoreIndex);
        using var ball = new LinfBall(images01, o.Eps);
        using var worst = new WorstCase(n);
        int[]? cleanPred = null;
        var checkpoints = new HashSet<int>(Checkpoints(o.Steps));
        for (int r = 0; r < o.Restarts; r++)
            RunOnce(model, images01, target, ball, worst, o, r, ctx, ref cleanPred, checkpoints);
        return AttackLoop.Adopt(worst.Take());
    }

    void RunOnce(SegForward model, Tensor x0, AttackTarget target, LinfBall ball, WorstCase worst, AttackOptions o, int restart,
        AttackContext ctx, ref int[]? cleanPred, HashSet<int> checkpoints)
    {
        int n = x0.Size(0), T = o.Steps;
        // Long-lived tensors live outside scopes and are swapped by hand.
        Tensor x, xPrev, xBest, g, gBest;
        double[] lossCur, lossBest;
        using (Tensor.NoScope())
            x = o.RandomStart ? ball.RandomStart(x0, o.Seed + (ulong)restart * 0x9E3779B97F4A7C15UL) : x0.Clone();
        using (var s = Tensor.Scope())
        {
            var (logits, map, lossT, grad) = AttackLoop.Evaluate(model, x, Loss, target, 1, T);
            lossCur = PerImage.Sums(map);
            worst.Offer(x, target.CorrectCounts(logits));
            AttackLoop.Report(ctx, Name, restart, 1, x, x0, logits, lossT, grad, ref cleanPred, model);
            using (Tensor.NoScope()) { g = grad.Clone(); gBest = grad.Clone(); xBest = x.Clone(); xPrev = x.Clone(); }
        }
        lossBest = (double[])lossCur.Clone();
        var eta = new float[n];
        Array.Fill(eta, 2f * o.Eps);
        var increases = new int[n];
        var reducedLast = new bool[n];
        var lossBestLast = (double[])lossBest.Clone();
        int sinceCheck = 0;

        for (int k = 0; k < T; k++)
        {
            Tensor xNew;
            using (var s = Tensor.Scope())
            using (Autograd.NoGrad())
            {
                var sg = F.Sign(g);
                var z = ball.Project(F.Add(x, PerImage.Scale(sg, eta)));
                Tensor cand;
                if (k == 0) cand = z;
                else
                {
                    // x + a (z - x) + (1 - a)(x - x_prev)
                    var mom = F.Add(F.MulScalar(F.Sub(z, x), Momentum), F.MulScalar(F.Sub(x, xPrev), 1f - Momentum));
                    cand = ball.Project(F.Add(x, mom));
                }
                using (Tensor.NoScope()) xNew = cand.Clone();
            }
            xPrev.Dispose();
            xPrev = x;
            x = xNew;

            double[] lossNew;
            using (var s = Tensor.Scope())
            {
                var (logits, map, lossT, grad) = AttackLoop.Evaluate(model, x, Loss, target, k + 2, T + 1);
                lossNew = PerImage.Sums(map);
                worst.Offer(x, target.CorrectCounts(logits));
                AttackLoop.Report(ctx, Name, restart, k + 2, x, x0, logits, lossT, grad, ref cleanPred, model);
                var improved = new bool[n];
                bool anyImproved = false;
                for (int i = 0; i < n; i++)
                {
                    if (lossNew[i] > lossCur[i]) increases[i]++;
                    if (lossNew[i] > lossBest[i]) { lossBest[i] = lossNew[i]; improved[i] = true; anyImproved = true; }
                }
                using (Tensor.NoScope())
                {
                    g.Dispose();
                    g = grad.Clone();
                    if (anyImproved)
                    {
                        var nb = PerImage.Select(improved, x, xBest); xBest.Dispose(); xBest = nb;
                        var ng = PerImage.Select(improved, grad, gBest); gBest.Dispose(); gBest = ng;
                    }
                }
            }
            lossCur = lossNew;
            sinceCheck++;

            if (checkpoints.Contains(k))
            {
                var reduce = new bool[n];
                bool any = false;
                for (int i = 0; i < n; i++)
                {
                    bool oscillating = increases[i] < Rho * sinceCheck;
                    bool stalled = !reducedLast[i] && lossBestLast[i] >= lossBest[i];
                    reduce[i] = oscillating || stalled;
                    reducedLast[i] = reduce[i];
                    lossBestLast[i] = lossBest[i];
                    increases[i] = 0;
                    if (reduce[i]) { eta[i] /= 2f; any = true; lossCur[i] = lossBest[i]; }
                }
                sinceCheck = 0;
                if (any)
                    using (Tensor.NoScope())
                    {
                        var nx = PerImage.Select(reduce, xBest, x); x.Dispose(); x = nx;
                        var ng = PerImage.Select(reduce, gBest, g); g.Dispose(); g = ng;
                    }
            }
        }
        using (var s = Tensor.Scope())
        using (Autograd.NoGrad())
            worst.Offer(x, target.CorrectCounts(model(x)));
        x.Dispose(); xPrev.Dispose(); xBest.Dispose(); g.Dispose(); gBest.Dispose();
    }
}
