namespace RobustSeg.Kernels;

/// <summary>Op codes shared by the kernels and the host backend (a switch costs less than one
/// compiled specialisation per op, and the CPU accelerator compiles each kernel in 10-40 ms).</summary>
public enum UnaryOp
{
    Relu, Exp, Log, Sign, Clamp, Neg, Abs, Sqrt, Affine, DivScalar, RDivScalar, Square, Sigmoid, Tanh,
}

public enum BinaryOp
{
    Add, Sub, Mul, Div, Max, Min,
}

public enum IntCompareOp
{
    Eq, Ne,
}

/// <summary>Scalar definitions of the elementwise ops: the kernels call these, and the host path
/// uses them for the ops it does not vectorise, so both backends compute the same formula.</summary>
public static class ElementwiseMath
{
    public static float Unary(UnaryOp op, float x, float p0, float p1)
    {
        switch (op)
        {
            // The backward's test: NaN passes through, as in PyTorch and the host's TensorPrimitives.Max(x, 0), and -0 gives +0
            // as there (one compare, no IsNaN call in the kernels).
            case UnaryOp.Relu: return x <= 0f ? 0f : x;
            case UnaryOp.Exp: return MathF.Exp(x);
            case UnaryOp.Log: return MathF.Log(x);
            case UnaryOp.Sign: return x > 0f ? 1f : (x < 0f ? -1f : 0f);
            case UnaryOp.Clamp: return x < p0 ? p0 : (x > p1 ? p1 : x);
            case UnaryOp.Neg: return -x;
            case UnaryOp.Abs: return MathF.Abs(x);
            case UnaryOp.Sqrt: return MathF.Sqrt(x);
            case UnaryOp.Affine: return x * p0 + p1;
            case UnaryOp.DivScalar: return x / p0;
            case UnaryOp.RDivScalar: return p0 / x;
            case UnaryOp.Square: return x * x;
            case UnaryOp.Sigmoid: return 1f / (1f + MathF.Exp(-x));
            case UnaryOp.Tanh: return MathF.Tanh(x);
            default: return float.NaN;
        }
    }

    /// <summary>d y / d x times dy, given x, y = f(x) and dy.</summary>
    public static float UnaryGrad(UnaryOp op, float x, float y, float dy, float p0, float p1)
    {
        switch (op)
        {
            // PyTorch's threshold_backward: zero where x <= 0, so a NaN x passes dy.
            case UnaryOp.Relu: return x <= 0f ? 0f : dy;
            case UnaryOp.Exp: return dy * y;
            case UnaryOp.Log: return dy / x;
            case UnaryOp.Sign: return 0f;
            // PyTorch passes the gradient where min <= x <= max.
            case UnaryOp.Clamp: return x >= p0 && x <= p1 ? dy : 0f;
            case UnaryOp.Neg: return -dy;
            case UnaryOp.Abs: return x > 0f ? dy : (x < 0f ? -dy : 0f);
            case UnaryOp.Sqrt: return dy * 0.5f / y;
            case UnaryOp.Affine: return dy * p0;
            case UnaryOp.DivScalar: return dy / p0;
            case UnaryOp.RDivScalar: return -dy * y / x;
            case UnaryOp.Square: return 2f * x * dy;
            case UnaryOp.Sigmoid: return dy * y * (1f - y);
            case UnaryOp.Tanh: return dy * (1f - y * y);
            default: return float.NaN;
        }
    }

    public static float Binary(BinaryOp op, float a, float b)
    {
        switch (op)
        {
            case BinaryOp.Add: return a + b;
            case BinaryOp.Sub: return a - b;
            case BinaryOp.Mul: return a * b;
            case BinaryOp.Div: return a / b;
            case BinaryOp.Max: return a > b ? a : b;
            case BinaryOp.Min: return a < b ? a : b;
            default: return float.NaN;
        }
    }

    /// <summary>Counter-based uniform [0,1) from (seed, index): the same numbers on every device.</summary>
    public static float HashUniform(ulong seed, long index)
    {
        ulong z = seed * 0x9E3779B97F4A7C15UL + (ulong)index * 0xD1B54A32D192ED03UL + 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) * (1.0f / 16777216f);
    }
}
