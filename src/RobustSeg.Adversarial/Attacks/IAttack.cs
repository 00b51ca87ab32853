using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>An untargeted L-inf attack. Returns the adversarial images (same shape as the input, inside
/// the eps ball around it and in [0,1]); inputs are not modified. The result is created in the caller's
/// current tensor scope (or owned by the caller when there is none).</summary>
public interface IAttack
{
    string Name { get; }
    Tensor Perturb(SegForward model, Tensor images01, Tensor labels, AttackContext ctx);
}
