using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>APGD with progressive radius reduction, as SEA runs each of its losses (nmndeep/robust-segmentation
/// <c>attacker.apgd_largereps</c>): three APGD runs of int(0.3 T), int(0.3 T) and the remaining iterations at
/// radii 2 eps, 1.5 eps and eps; the first starts at a uniform point of the 2 eps ball (random start) or at
/// the image, each later one at the previous run's lowest-accuracy point projected onto its own ball. The
/// result is the last run's lowest-accuracy point (inside the eps ball). Restarts repeat the whole chain
/// and keep per image the strictly lowest accuracy.</summary>
public sealed class ProgressiveApgd(Apgd inner) : IAttack
{
    public Apgd Inner { get; } = inner;
    public string Name => "apgd-prr-" + Inner.Loss.Name;

    static readonly double[] RadiusFactors = [2.0, 1.5, 1.0];

    /// <summary>Iterations per radius for a budget of <paramref name="steps"/> (300: 90, 90, 120).</summary>
    public static int[] Split(int steps)
    {
        int a = (int)(0.3 * steps);
        return [a, a, steps - 2 * a];
    }

    public Tensor Perturb(SegForward model, Tensor images01, Tensor labels, AttackContext ctx)
    {
        var o = ctx.Options;
        o.Validate();
        using var target = new AttackTarget(labels, o.IgnoreIndex);
        using var worst = new WorstCase(images01.Size(0));
        int[]? cleanPred = null;
        var split = Split(o.Steps);
        for (int r = 0; r < o.Restarts; r++)
        {
            Tensor? cur = null;
            Tensor? correct = null;
            for (int stage = 0; stage < split.Length; stage++)
            {
                using var ball = new LinfBall(images01, (float)(RadiusFactors[stage] * o.Eps));
                Tensor start;
                using (Tensor.NoScope())
                    start = cur is not null ? ball.Project(cur)
                        : o.RandomStart ? ball.RandomStart(images01, Apgd.RestartSeed(o.Seed, r)) : images01.Clone();
                cur?.Dispose();
                correct?.Dispose();
                correct = null;
                if (split[stage] == 0) { cur = start; continue; }
                cur = Inner.Run(model, images01, start, target, ball, split[stage], ctx, r, ref cleanPred, out var c);
                correct = c;
                start.Dispose();
            }
            using (Tensor.Scope())
            using (Autograd.NoGrad())
                worst.Offer(cur!, correct ?? target.CorrectCounts(model(cur!)));
            correct?.Dispose();
            cur!.Dispose();
        }
        return AttackLoop.Adopt(worst.Take());
    }
}

/// <summary>SEA, the Segmentation Ensemble Attack (Croce, Singh, Hein, ECCV 2024; reference code
/// nmndeep/robust-segmentation <c>tools/infer.py</c>): APGD with progressive radius reduction
/// (<see cref="ProgressiveApgd"/>, 300 iterations by default), random start and early stop, once with each of
/// Mask-CE, the SegPGD loss, the JS divergence and Mask-Sph; the best point and the step-size checkpoints
/// follow the reference's tracking loss (plain CE for the first three, the unmasked normalised correct logit
/// for Mask-Sph). Per image the member result with the lowest pixel accuracy is kept (the first on ties).
/// Member i runs with seed + 7919 i (as <see cref="EnsembleAttack"/>, which does the per-image worst case).</summary>
public sealed class Sea : IAttack
{
    readonly EnsembleAttack _ensemble = new(Members());

    public string Name => "sea";
    /// <summary>Accuracy per image of each member's result, from the last call (for reports).</summary>
    public List<(string Attack, double[] Accuracy)> LastAccuracies => _ensemble.LastAccuracies;

    /// <summary>The four runs, in the reference's order (mask-ce, segpgd, js, mask-sph).</summary>
    public static IReadOnlyList<IAttack> Members() =>
    [
        Member(new MaskedCrossEntropyLoss(), new CrossEntropyLoss()),
        Member(new SegPgdLoss(), new CrossEntropyLoss()),
        Member(new JsDivergenceLoss(), new CrossEntropyLoss()),
        Member(new NormalizedCorrectLogitLoss(masked: true), new NormalizedCorrectLogitLoss(masked: false)),
    ];

    static ProgressiveApgd Member(IPixelLoss loss, IPixelLoss track) => new(new Apgd(loss, track, earlyStop: true));

    /// <summary>The member seed <see cref="EnsembleAttack"/> gives member <paramref name="i"/>.</summary>
    public static ulong MemberSeed(ulong seed, int i) => EnsembleAttack.MemberSeed(seed, i);

    public Tensor Perturb(SegForward model, Tensor images01, Tensor labels, AttackContext ctx) =>
        // SEA always starts at a random point (the reference's use_rs=True).
        _ensemble.Perturb(model, images01, labels, new AttackContext(ctx.Options with { RandomStart = true }, ctx.OnStep));
}
