using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>The feasible set around clean images: the eps L-inf ball intersected with [0,1], as the
/// per-element box [max(x0 - eps, 0), min(x0 + eps, 1)] computed once per attack call.</summary>
public sealed class LinfBall : IDisposable
{
    public Tensor Lower { get; }
    public Tensor Upper { get; }
    public float Eps { get; }
    /// <summary>The clean images (borrowed, not owned).</summary>
    public Tensor Clean { get; }

    public LinfBall(Tensor clean01, float eps)
    {
        Eps = eps;
        Clean = clean01;
        using var _ = Autograd.NoGrad();
        using var lo = F.AddScalar(clean01, -eps);
        using var hi = F.AddScalar(clean01, eps);
        Lower = F.Clamp(lo, 0f, 1f);
        Upper = F.Clamp(hi, 0f, 1f);
    }

    /// <summary>The projection of x onto the box (no tape).</summary>
    public Tensor Project(Tensor x)
    {
        using var _ = Autograd.NoGrad();
        using var a = F.Maximum(x, Lower);
        return F.Minimum(a, Upper);
    }

    /// <summary>Project(x + step * sign(g)), with the engine's fused attack-step op.</summary>
    public Tensor SignStep(Tensor x, Tensor g, float step) => F.AttackStep(x, g, Clean, step, Eps);

    /// <summary>A uniform point of the box around x0: x0 + U(-eps, eps), projected.</summary>
    public Tensor RandomStart(Tensor x0, ulong seed)
    {
        using var _ = Autograd.NoGrad();
        using var noise = F.RandUniform(x0.Device, seed, -Eps, Eps, x0.Shape);
        using var moved = F.Add(x0, noise);
        return Project(moved);
    }

    public void Dispose() { Lower.Dispose(); Upper.Dispose(); }
}
