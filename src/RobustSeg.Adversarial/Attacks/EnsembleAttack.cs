using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>Runs several attacks and keeps, per image, the adversarial example with the lowest pixel
/// accuracy (the worst case for the model). Each member sees the same options, with its own seed.</summary>
public sealed class EnsembleAttack(IReadOnlyList<IAttack> members) : IAttack
{
    public IReadOnlyList<IAttack> Members { get; } = members.Count > 0 ? members : throw new ArgumentException("an ensemble needs at least one attack");
    public string Name => "ensemble(" + string.Join(",", Members.Select(m => m.Name)) + ")";

    /// <summary>Accuracy per image of each member's result, from the last call (for reports).</summary>
    public List<(string Attack, double[] Accuracy)> LastAccuracies { get; } = [];

    /// <summary>The seed member <paramref name="i"/> runs with.</summary>
    public static ulong MemberSeed(ulong seed, int i) => seed + (ulong)i * 7919UL;

    public Tensor Perturb(SegForward model, Tensor images01, Tensor labels, AttackContext ctx)
    {
        using var target = new AttackTarget(labels, ctx.Options.IgnoreIndex);
        using var worst = new WorstCase(images01.Size(0));
        LastAccuracies.Clear();
        for (int i = 0; i < Members.Count; i++)
        {
            var memberCtx = new AttackContext(ctx.Options with { Seed = MemberSeed(ctx.Options.Seed, i) }, ctx.OnStep);
            using var adv = Members[i].Perturb(model, images01, labels, memberCtx);
            using var scope = Tensor.Scope();
            Tensor correct;
            using (Autograd.NoGrad()) correct = target.CorrectCounts(model(adv));
            LastAccuracies.Add((Members[i].Name, target.AccuracyFromCounts(correct)));
            worst.Offer(adv, correct);
        }
        return AttackLoop.Adopt(worst.Take());
    }
}
