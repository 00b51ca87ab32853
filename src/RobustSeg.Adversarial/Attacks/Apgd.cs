using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>APGD (Croce and Hein 2020), L-inf, per image, as the reference loop (auto-attack
/// <c>autopgd_base.py</c>; nmndeep/robust-segmentation <c>attacker.apgd_train</c>): step size 2 eps, halved at
/// checkpoints by <see cref="ApgdSchedule"/>, which also says when to restart from the best point with its
/// gradient; momentum x_{k+1} = P(x_k + 0.75 (z - x_k) + 0.25 (x_k - x_{k-1})), z = P(x_k + eta sign(g)),
/// a plain step at the first iteration. The gradient is that of <see cref="Loss"/>; the best point and the
/// checkpoints use <see cref="Track"/> (SEA's "track loss", by default the attack loss). Each run returns the
/// per-image lowest-accuracy iterate (later iterates win ties, as the reference's <c>&lt;=</c>); over restarts
/// the strictly lowest is kept. Alpha in the options is not used. With <c>earlyStop</c> a run ends once
/// every image of the batch is at accuracy 0 (the reference's <c>early_stop</c>, which SEA sets).</summary>
public sealed class Apgd(IPixelLoss loss, IPixelLoss? track = null, bool earlyStop = false) : IAttack
{
    public IPixelLoss Loss { get; } = loss;
    public IPixelLoss Track { get; } = track ?? loss;
    public bool EarlyStop { get; } = earlyStop;
    public string Name => "apgd-" + Loss.Name;

    const float Momentum = 0.75f;

    public Tensor Perturb(SegForward model, Tensor images01, Tensor labels, AttackContext ctx)
    {
        var o = ctx.Options;
        o.Validate();
        using var target = new AttackTarget(labels, o.IgnoreIndex);
        using var ball = new LinfBall(images01, o.Eps);
        using var worst = new WorstCase(images01.Size(0));
        int[]? cleanPred = null;
        for (int r = 0; r < o.Restarts; r++)
        {
            Tensor start;
            using (Tensor.NoScope())
                start = o.RandomStart ? ball.RandomStart(images01, RestartSeed(o.Seed, r)) : images01.Clone();
            using var adv = Run(model, images01, start, target, ball, o.Steps, ctx, r, ref cleanPred, out var acc);
            start.Dispose();
            worst.Offer(adv, acc);
        }
        return AttackLoop.Adopt(worst.Take());
    }

    internal static ulong RestartSeed(ulong seed, int restart) => seed + (ulong)restart * 0x9E3779B97F4A7C15UL;

    /// <summary>One APGD run of <paramref name="iterations"/> from <paramref name="start"/> (borrowed) in
    /// <paramref name="ball"/>: the per-image lowest-accuracy iterate (owned by the caller, outside scopes) and its accuracy.</summary>
    internal Tensor Run(SegForward model, Tensor x0, Tensor start, AttackTarget target, LinfBall ball, int iterations,
        AttackContext ctx, int restart, ref int[]? cleanPred, out double[] accuracy)
    {
        int T = iterations;
        using var worst = new WorstCase(x0.Size(0), laterOnTies: true);
        // Long-lived tensors live outside scopes and are swapped by hand.
        Tensor x, xPrev, xBest, g, gBest;
        ApgdSchedule schedule;
        using (Tensor.NoScope()) x = ball.Project(start);
        using (var s = Tensor.Scope())
        {
            // SegPGD's lambda = t / (2 T) with t = 0 here and i + 1 after iteration i: our 1-based step is t + 1.
            var (logits, map, lossT, grad) = AttackLoop.Evaluate(model, x, Loss, target, 1, T);
            schedule = new ApgdSchedule(T, ball.Eps, Tracked(logits, map, target, 1, T));
            worst.Offer(x, target.Accuracy(logits));
            AttackLoop.Report(ctx, Name, restart, 1, x, x0, logits, lossT, grad, ref cleanPred, model);
            using (Tensor.NoScope()) { g = grad.Clone(); gBest = grad.Clone(); xBest = x.Clone(); xPrev = x.Clone(); }
        }

        for (int i = 0; i < T; i++)
        {
            Tensor xNew;
            using (var s = Tensor.Scope())
            using (Autograd.NoGrad())
            {
                var eta = schedule.StepSize.Select(v => (float)v).ToArray();
                var z = ball.Project(F.Add(x, PerImage.Scale(F.Sign(g), eta)));
                Tensor cand;
                if (i == 0) cand = z;
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

            ApgdSchedule.Decision d;
            using (var s = Tensor.Scope())
            {
                var (logits, map, lossT, grad) = AttackLoop.Evaluate(model, x, Loss, target, i + 2, T);
                worst.Offer(x, target.Accuracy(logits));
                AttackLoop.Report(ctx, Name, restart, i + 2, x, x0, logits, lossT, grad, ref cleanPred, model);
                d = schedule.Step(i, Tracked(logits, map, target, i + 2, T));
                using (Tensor.NoScope())
                {
                    g.Dispose();
                    g = grad.Clone();
                    if (d.Improved.Any(v => v))
                    {
                        var nb = PerImage.Select(d.Improved, x, xBest); xBest.Dispose(); xBest = nb;
                        var ng = PerImage.Select(d.Improved, grad, gBest); gBest.Dispose(); gBest = ng;
                    }
                }
            }
            if (d.Reduced is { } reduce && reduce.Any(v => v))
                using (Tensor.NoScope())
                {
                    var nx = PerImage.Select(reduce, xBest, x); x.Dispose(); x = nx;
                    var ng = PerImage.Select(reduce, gBest, g); g.Dispose(); g = ng;
                }
            if (EarlyStop && worst.Accuracy.All(a => a == 0)) break;
        }
        x.Dispose(); xPrev.Dispose(); xBest.Dispose(); g.Dispose(); gBest.Dispose();
        accuracy = (double[])worst.Accuracy.Clone();
        return worst.Take();
    }

    /// <summary>Per-image tracked loss: the attack loss's own map, or the track loss on the same logits.</summary>
    double[] Tracked(Tensor logits, Tensor map, AttackTarget target, int step, int steps)
    {
        if (ReferenceEquals(Track, Loss)) return PerImage.Sums(map);
        using var _ = Autograd.NoGrad();
        using var s = Tensor.Scope();
        return PerImage.Sums(Track.Map(logits, target, step, steps));
    }
}
