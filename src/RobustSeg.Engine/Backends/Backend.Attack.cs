namespace RobustSeg.Engine;

public abstract partial class Backend
{
    /// <summary>y = clip to [0,1] and to the eps-ball around x0 of x + alpha * (sign(g) or g).</summary>
    public abstract void AttackStep(Tensor x, Tensor g, Tensor x0, Tensor y, float alpha, float eps, bool useSign);
}
