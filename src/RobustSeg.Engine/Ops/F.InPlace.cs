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

    /// <summary>Every element of t set to value (an int32 tensor takes it as an integer).</summary>
    public static void FillInto(Tensor t, float value) => t.Device.Backend.Fill(t, value);
}
