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
            using var adv = Run(model, images01, start, target, ball, o.Steps, ctx, r, ref cleanPred, out var correct);
            start.Dispose();
            worst.Offer(adv, correct);
            correct.Dispose();
        }
        return AttackLoop.Adopt(worst.Take());
    }

    internal static ulong RestartSeed(ulong seed, int restart) => seed + (ulong)restart * 0x9E3779B97F4A7C15UL;

    /// <summary>One APGD run of <paramref name="iterations"/> from <paramref name="start"/> (borrowed) in
    /// <paramref name="ball"/>: the per-image lowest-accuracy iterate and its correct-pixel counts (both owned by the
    /// caller, outside scopes). The step-size rules run on the host as the reference's, so each iteration reads
    /// the N tracked losses back (one copy, with the correct counts when early stop is on).</summary>
    internal Tensor Run(SegForward model, Tensor x0, Tensor start, AttackTarget target, LinfBall ball, int iterations,
        AttackContext ctx, int restart, ref int[]? cleanPred, out Tensor correct)
    {
        int T = iterations;
        using var worst = new WorstCase(x0.Size(0), laterOnTies: true);
        // Long-lived tensors live outside scopes and are swapped by hand.
        Tensor x, xPrev, xBest, g, gBest;
        Tensor? eta = null;
        ApgdSchedule schedule;
        using (Tensor.NoScope()) x = ball.Project(start);
        using (var s = Tensor.Scope())
        {
            // SegPGD's lambda = t / (2 T) with t = 0 here and i + 1 after iteration i: our 1-based step is t + 1.
            var (logits, map, lossT, grad) = AttackLoop.Evaluate(model, x, Loss, target, 1, T);
            schedule = new ApgdSchedule(T, ball.Eps, Read(Tracked(logits, map, target, 1, T), null).Loss);
            worst.Offer(x, target.CorrectCounts(logits));
            AttackLoop.Report(ctx, Name, restart, 1, x, x0, logits, lossT, grad, ref cleanPred, model);
            using (Tensor.NoScope()) { g = grad.Clone(); gBest = grad.Clone(); xBest = x.Clone(); xPrev = x.Clone(); }
        }

        for (int i = 0; i < T; i++)
        {
            Tensor xNew;
            using (var s = Tensor.Scope())
            using (Autograd.NoGrad())
            {
                // The step sizes change only at checkpoints: uploaded again only then.
                if (eta is null)
                    using (Tensor.NoScope()) eta = Tensor.FromArray(x.Device, schedule.StepSize.Select(v => (float)v).ToArray(), x.Size(0));
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
            bool stop;
            using (var s = Tensor.Scope())
            {
                var (logits, map, lossT, grad) = AttackLoop.Evaluate(model, x, Loss, target, i + 2, T);
                var counts = target.CorrectCounts(logits);
                worst.Offer(x, counts);
                AttackLoop.Report(ctx, Name, restart, i + 2, x, x0, logits, lossT, grad, ref cleanPred, model);
                var (tracked, allWrong) = Read(Tracked(logits, map, target, i + 2, T), EarlyStop ? worst.BestCorrect : null);
                d = schedule.Step(i, tracked);
                stop = allWrong;
                using (Tensor.NoScope())
                {
                    g.Dispose();
                    g = grad.Clone();
                    if (d.Improved.Any(v => v))
                    {
                        using var m = PerImage.Mask(d.Improved, x.Device);
                        var nb = PerImage.Select(m, x, xBest); xBest.Dispose(); xBest = nb;
                        var ng = PerImage.Select(m, grad, gBest); gBest.Dispose(); gBest = ng;
                    }
                }
            }
            if (d.Reduced is { } reduce && reduce.Any(v => v))
                using (Tensor.NoScope())
                {
                    using var m = PerImage.Mask(reduce, x.Device);
                    var nx = PerImage.Select(m, xBest, x); x.Dispose(); x = nx;
                    var ng = PerImage.Select(m, gBest, g); g.Dispose(); g = ng;
                }
            if (d.Reduced is not null) { eta?.Dispose(); eta = null; }
            if (stop) break;
        }
        eta?.Dispose();
        x.Dispose(); xPrev.Dispose(); xBest.Dispose(); g.Dispose(); gBest.Dispose();
        using (Tensor.NoScope()) correct = worst.BestCorrect!.Clone();
        return worst.Take();
    }

    /// <summary>The tracked losses (and, for early stop, whether every image's best point has no correct pixel) in
    /// one device read.</summary>
    static (double[] Loss, bool AllWrong) Read(Tensor tracked, Tensor? bestCorrect)
    {
        int n = tracked.Size(0);
        if (bestCorrect is null) return (tracked.ToArray().Select(v => (double)v).ToArray(), false);
        using var both = F.Cat([tracked.ViewAs(n), bestCorrect.ViewAs(n)], 0);
        var v = both.ToArray();
        return (v.Take(n).Select(f => (double)f).ToArray(), v.Skip(n).All(c => c == 0));
    }

    /// <summary>Per-image tracked loss (N, on the device, in the caller's scope): the attack loss's own map, or the
    /// track loss on the same logits.</summary>
    Tensor Tracked(Tensor logits, Tensor map, AttackTarget target, int step, int steps)
    {
        using var _ = Autograd.NoGrad();
        return PerImage.SumsOnDevice(ReferenceEquals(Track, Loss) ? map : Track.Map(logits, target, step, steps));
    }
}
