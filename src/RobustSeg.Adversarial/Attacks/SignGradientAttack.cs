using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>Iterated sign-gradient ascent projected on the L-inf ball and [0,1]:
/// x_{t+1} = P(x_t + alpha * sign(grad loss(x_t))). With a CE loss and no random start this is BIM
/// (I-FGSM); with a random start PGD; with the SegPGD or CosPGD per-pixel losses those attacks.</summary>
public class SignGradientAttack(string name, IPixelLoss loss) : IAttack
{
    public string Name { get; } = name;
    public IPixelLoss Loss { get; } = loss;

    /// <summary>Settings this attack forces (FGSM: one full-eps step from the image).</summary>
    protected virtual AttackOptions Adjust(AttackOptions o) => o;

    public Tensor Perturb(SegForward model, Tensor images01, Tensor labels, AttackContext ctx)
    {
        var o = Adjust(ctx.Options);
        o.Validate();
        if (images01.Rank != 4 || images01.Size(1) != 3) throw new ArgumentException($"{Name}: images must be (N,3,H,W), got {images01.ShapeString}");
        using var target = new AttackTarget(labels, o.IgnoreIndex);
        using var ball = new LinfBall(images01, o.Eps);
        using var worst = new WorstCase(images01.Size(0));
        bool track = o.KeepBest || o.Restarts > 1;
        int[]? cleanPred = null;
        Tensor? last = null;
        for (int r = 0; r < o.Restarts; r++)
        {
            Tensor x;
            using (Tensor.NoScope())
                x = o.RandomStart ? ball.RandomStart(images01, o.Seed + (ulong)r * 0x9E3779B97F4A7C15UL) : images01.Clone();
            for (int t = 1; t <= o.Steps; t++)
            {
                Tensor next;
                using (var scope = Tensor.Scope())
                {
                    var (logits, _, lossT, grad) = AttackLoop.Evaluate(model, x, Loss, target, t, o.Steps);
                    if (o.KeepBest) worst.Offer(x, target.CorrectCounts(logits));
                    AttackLoop.Report(ctx, Name, r, t, x, images01, logits, lossT, grad, ref cleanPred, model);
                    using (Tensor.NoScope()) next = ball.SignStep(x, grad, o.Alpha);
                }
                x.Dispose();
                x = next;
            }
            if (track)
            {
                using var scope = Tensor.Scope();
                using var ng = Autograd.NoGrad();
                worst.Offer(x, target.CorrectCounts(model(x)));
                x.Dispose();
            }
            else { last?.Dispose(); last = x; }
        }
        return AttackLoop.Adopt(track ? worst.Take() : last!);
    }
}

/// <summary>FGSM: one step of size eps from the clean image.</summary>
public sealed class Fgsm() : SignGradientAttack("fgsm", new CrossEntropyLoss())
{
    protected override AttackOptions Adjust(AttackOptions o) => o with { Steps = 1, Alpha = o.Eps, RandomStart = false, Restarts = 1 };
}

/// <summary>BIM / I-FGSM (Kurakin et al.): CE, no random start; the paper's attack in training and the legacy test.</summary>
public sealed class Bim() : SignGradientAttack("bim", new CrossEntropyLoss())
{
    protected override AttackOptions Adjust(AttackOptions o) => o with { RandomStart = false };
}

/// <summary>PGD (Madry et al.): CE from a uniform random start in the ball.</summary>
public sealed class Pgd() : SignGradientAttack("pgd", new CrossEntropyLoss())
{
    protected override AttackOptions Adjust(AttackOptions o) => o with { RandomStart = true };
}

/// <summary>SegPGD (Gu et al. 2022), random start as in the paper's PGD setting.</summary>
public sealed class SegPgd() : SignGradientAttack("segpgd", new SegPgdLoss());

/// <summary>CosPGD (Agnihotri et al.): softmax weights as the official package; <c>sigmoid</c> as Croce et al.'s reimplementation.</summary>
public sealed class CosPgd(bool sigmoid = false) : SignGradientAttack(sigmoid ? "cospgd-sigmoid" : "cospgd", new CosPgdLoss(sigmoid));
