namespace RobustSeg.Engine;

/// <summary>Untaped writes into existing tensors, for optimizers and initialisers (the only callers outside the
/// engine that update state in place). Inputs must not require grad while recording.</summary>
public static partial class F
{
    /// <summary>output = a * x + b * y (output may be x or y).</summary>
    public static void AxpbyInto(float a, Tensor x, float b, Tensor y, Tensor output)
    {
        SameShape(x, y, "axpby"); SameShape(x, output, "axpby");
        Autograd.RequireNoGrad("axpby", x, y);
        x.Device.Backend.Axpby(a, x, b, y, output);
    }

    /// <summary>One SGD update of p in place (<see cref="Backend.SgdStep"/>): grad and buf (the momentum buffer, null
    /// without momentum) of p's shape.</summary>
    public static void SgdStepInto(Tensor p, Tensor grad, Tensor? buf, float lr, float momentum, float weightDecay, bool first)
    {
        SameShape(p, grad, "sgd_step");
        if (buf is not null) SameShape(p, buf, "sgd_step");
        Autograd.RequireNoGrad("sgd_step", grad);
        p.Device.Backend.SgdStep(p, grad, buf, lr, momentum, weightDecay, first);
    }

    /// <summary>Every element of t set to value (an int32 tensor takes it as an integer).</summary>
    public static void FillInto(Tensor t, float value) => t.Device.Backend.Fill(t, value);
}
