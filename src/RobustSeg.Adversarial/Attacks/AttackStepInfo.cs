using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>What the attack loop reports after computing the gradient of step <see cref="Step"/> (1-based)
/// for the current iterate. <see cref="Gradient"/> (d loss / d images01) and <see cref="Logits"/> are only
/// valid during the callback.</summary>
public sealed record AttackStepInfo(
    string Attack, int Restart, int Step, double Loss, double FlippedFraction,
    double GradL1, double GradL2, double PerturbationLinf, double PerturbationL2,
    Tensor Gradient, Tensor Logits);

/// <summary>Per-call settings shared by every attack.</summary>
public sealed class AttackContext
{
    public AttackOptions Options { get; init; } = new();
    /// <summary>Called once per step with statistics (costs host copies: leave null in training).</summary>
    public Action<AttackStepInfo>? OnStep { get; init; }

    public AttackContext() { }
    public AttackContext(AttackOptions options, Action<AttackStepInfo>? onStep = null) { Options = options; OnStep = onStep; }
}
