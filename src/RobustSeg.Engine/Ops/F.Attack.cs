namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>One projected L-inf attack step, fused and untaped: clip01(clip(x + alpha*sign(g), x0±eps)).
    /// With useSign = false the raw direction g is used (APGD-style steps on a pre-scaled direction).</summary>
    public static Tensor AttackStep(Tensor x, Tensor grad, Tensor x0, float alpha, float eps, bool useSign = true)
    {
        SameShape(x, grad, "attack_step"); SameShape(x, x0, "attack_step");
        Autograd.RequireNoGrad("attack_step", x, grad, x0);
        var y = Tensor.Empty(x.Device, x.Shape);
        x.Device.Backend.AttackStep(x, grad, x0, y, alpha, eps, useSign);
        return y;
    }
}
