using RobustSeg.Kernels;

namespace RobustSeg.Engine;

/// <summary>The functional op set (torch.nn.functional-like): checks shapes, allocates outputs,
/// calls the device backend and records the tape. One partial file per op family.</summary>
public static partial class F
{
    internal static void SameShape(Tensor a, Tensor b, string op)
    {
        if (!a.ShapeSpan.SequenceEqual(b.ShapeSpan))
            throw new ArgumentException($"{op}: shapes {a.ShapeString} and {b.ShapeString} differ");
        if (a.Device != b.Device) throw new ArgumentException($"{op}: tensors on {a.Device} and {b.Device}");
    }

    internal static void Float(Tensor t, string op, string what = "input")
    {
        if (t.DType != DType.Float32) throw new ArgumentException($"{op}: {what} must be float32, got {t.DType}");
    }

    /// <summary>(N, C, S) view of an NCHW-like tensor: C = dim 1, S = product of the rest.</summary>
    internal static (int N, int C, int S) Ncs(Tensor t, string op)
    {
        if (t.Rank < 2) throw new ArgumentException($"{op}: expected at least 2 dimensions (N, C, ...), got {t.ShapeString}");
        long s = 1;
        for (int d = 2; d < t.Rank; d++) s *= t.Size(d);
        return (t.Size(0), t.Size(1), (int)s);
    }

    // ---------------- binary ----------------

    static Tensor BinaryOpT(BinaryOp op, Tensor a, Tensor b, string name)
    {
        SameShape(a, b, name); Float(a, name); Float(b, name);
        var y = Tensor.Empty(a.Device, a.Shape);
        a.Device.Backend.Binary(op, a, b, y);
        return Autograd.Record(y, name, [a, b], (g, needs) => op switch
        {
            BinaryOp.Add => [needs[0] ? g : null, needs[1] ? g : null],
            BinaryOp.Sub => [needs[0] ? g : null, needs[1] ? Neg(g) : null],
            BinaryOp.Mul => [needs[0] ? Mul(g, b) : null, needs[1] ? Mul(g, a) : null],
            // d(a/b)/db = -a/b^2 = -y/b
            _ => [needs[0] ? Div(g, b) : null, needs[1] ? Neg(Div(Mul(g, y), b)) : null],
        });
    }

    public static Tensor Add(Tensor a, Tensor b) => BinaryOpT(BinaryOp.Add, a, b, "add");
    public static Tensor Sub(Tensor a, Tensor b) => BinaryOpT(BinaryOp.Sub, a, b, "sub");
    public static Tensor Mul(Tensor a, Tensor b) => BinaryOpT(BinaryOp.Mul, a, b, "mul");
    public static Tensor Div(Tensor a, Tensor b) => BinaryOpT(BinaryOp.Div, a, b, "div");

    /// <summary>Elementwise max/min (no gradient: used on detached values, e.g. clipping to a box).</summary>
    public static Tensor Maximum(Tensor a, Tensor b) { SameShape(a, b, "maximum"); var y = Tensor.EmptyLike(a); a.Device.Backend.Binary(BinaryOp.Max, a, b, y); return y; }
    public static Tensor Minimum(Tensor a, Tensor b) { SameShape(a, b, "minimum"); var y = Tensor.EmptyLike(a); a.Device.Backend.Binary(BinaryOp.Min, a, b, y); return y; }

    // ---------------- unary and tensor-scalar ----------------

    static Tensor UnaryOpT(UnaryOp op, Tensor x, string name, float p0 = 0f, float p1 = 0f)
    {
        Float(x, name);
        var y = Tensor.Empty(x.Device, x.Shape);
        x.Device.Backend.Unary(op, x, y, p0, p1);
        return Autograd.Record(y, name, [x], (g, needs) =>
        {
            var dx = Tensor.Empty(x.Device, x.Shape);
            x.Device.Backend.UnaryGrad(op, x, y, g, dx, p0, p1);
            return [dx];
        });
    }

    public static Tensor Relu(Tensor x) => UnaryOpT(UnaryOp.Relu, x, "relu");
    public static Tensor Exp(Tensor x) => UnaryOpT(UnaryOp.Exp, x, "exp");
    public static Tensor Log(Tensor x) => UnaryOpT(UnaryOp.Log, x, "log");
    public static Tensor Sign(Tensor x) => UnaryOpT(UnaryOp.Sign, x, "sign");
    public static Tensor Neg(Tensor x) => UnaryOpT(UnaryOp.Neg, x, "neg");
    public static Tensor Abs(Tensor x) => UnaryOpT(UnaryOp.Abs, x, "abs");
    public static Tensor Sqrt(Tensor x) => UnaryOpT(UnaryOp.Sqrt, x, "sqrt");
    public static Tensor Square(Tensor x) => UnaryOpT(UnaryOp.Square, x, "square");
    public static Tensor Sigmoid(Tensor x) => UnaryOpT(UnaryOp.Sigmoid, x, "sigmoid");
    public static Tensor Tanh(Tensor x) => UnaryOpT(UnaryOp.Tanh, x, "tanh");
    public static Tensor Clamp(Tensor x, float min, float max) => UnaryOpT(UnaryOp.Clamp, x, "clamp", min, max);
    public static Tensor AddScalar(Tensor x, float s) => UnaryOpT(UnaryOp.Affine, x, "add_scalar", 1f, s);
    public static Tensor SubScalar(Tensor x, float s) => UnaryOpT(UnaryOp.Affine, x, "sub_scalar", 1f, -s);
    public static Tensor MulScalar(Tensor x, float s) => UnaryOpT(UnaryOp.Affine, x, "mul_scalar", s, 0f);
    public static Tensor DivScalar(Tensor x, float s) => UnaryOpT(UnaryOp.DivScalar, x, "div_scalar", s);
    /// <summary>s / x.</summary>
    public static Tensor RDivScalar(float s, Tensor x) => UnaryOpT(UnaryOp.RDivScalar, x, "rdiv_scalar", s);
    /// <summary>x * a + b in one pass.</summary>
    public static Tensor Affine(Tensor x, float a, float b) => UnaryOpT(UnaryOp.Affine, x, "affine", a, b);

    // ---------------- per-channel broadcast ----------------

    static Tensor ChannelOpT(BinaryOp op, Tensor x, Tensor v, string name)
    {
        var (_, c, s) = Ncs(x, name);
        if (v.Numel != c) throw new ArgumentException($"{name}: vector has {v.Numel} elements, input {x.ShapeString} has {c} channels");
        var y = Tensor.Empty(x.Device, x.Shape);
        x.Device.Backend.Channel(op, x, v, y, c, s);
        return Autograd.Record(y, name, [x, v], (g, needs) =>
        {
            Tensor? dx = null, dv = null;
            if (op == BinaryOp.Add)
            {
                if (needs[0]) dx = g;
                if (needs[1]) dv = SumChannels(g, null).ViewAs(v.Shape);
            }
            else
            {
                if (needs[0]) { dx = Tensor.Empty(x.Device, x.Shape); x.Device.Backend.Channel(BinaryOp.Mul, g, v, dx, c, s); }
                if (needs[1]) dv = SumChannels(g, x).ViewAs(v.Shape);
            }
            return [dx, dv];
        });
    }

    /// <summary>x[n,c,...] + v[c] (batchnorm's shift, a conv bias).</summary>
    public static Tensor AddChannel(Tensor x, Tensor v) => ChannelOpT(BinaryOp.Add, x, v, "add_channel");
    /// <summary>x[n,c,...] * v[c] (batchnorm's scale).</summary>
    public static Tensor MulChannel(Tensor x, Tensor v) => ChannelOpT(BinaryOp.Mul, x, v, "mul_channel");

    // ---------------- selection, comparison ----------------

    /// <summary>mask != 0 ? a : b. The int32 mask has a's shape, or is (N, H, W) / (N, 1, H, W)
    /// against (N, C, H, W) data and is broadcast over channels.</summary>
    public static Tensor Where(Tensor mask, Tensor a, Tensor b)
    {
        SameShape(a, b, "where");
        if (mask.DType != DType.Int32) throw new ArgumentException($"where: mask must be int32, got {mask.DType}");
        var (n, c, s) = a.Rank >= 2 ? Ncs(a, "where") : (1, 1, (int)a.Numel);
        bool broadcast;
        if (mask.Numel == a.Numel) broadcast = false;
        else if (mask.Numel == (long)n * s && mask.Size(0) == n) broadcast = true;
        else throw new ArgumentException($"where: mask {mask.ShapeString} does not match {a.ShapeString} (same shape, or (N,H,W) broadcast over channels)");
        var y = Tensor.Empty(a.Device, a.Shape);
        a.Device.Backend.Where(mask, a, b, y, broadcast, c, s);
        return Autograd.Record(y, "where", [a, b], (g, needs) =>
        {
            Tensor? da = null, db = null;
            if (needs[0] || needs[1])
            {
                var zero = Tensor.Zeros(g.Device, g.Shape);
                if (needs[0]) { da = Tensor.Empty(g.Device, g.Shape); g.Device.Backend.Where(mask, g, zero, da, broadcast, c, s); }
                if (needs[1]) { db = Tensor.Empty(g.Device, g.Shape); g.Device.Backend.Where(mask, zero, g, db, broadcast, c, s); }
                zero.Dispose();
            }
            return [da, db];
        });
    }

    /// <summary>int32 (a == b) as 0/1.</summary>
    public static Tensor Equal(Tensor a, Tensor b) => IntCmp(IntCompareOp.Eq, a, b);
    /// <summary>int32 (a != b) as 0/1.</summary>
    public static Tensor NotEqual(Tensor a, Tensor b) => IntCmp(IntCompareOp.Ne, a, b);

    static Tensor IntCmp(IntCompareOp op, Tensor a, Tensor b)
    {
        if (a.DType != DType.Int32 || b.DType != DType.Int32) throw new ArgumentException("equal/not_equal take int32 tensors");
        if (a.Numel != b.Numel) throw new ArgumentException($"compare: {a.ShapeString} vs {b.ShapeString}");
        var y = Tensor.EmptyInt(a.Device, a.Shape);
        a.Device.Backend.IntCompare(op, a, b, y);
        y.KnownValues = IntValueSet.Binary;
        return y;
    }

    public static Tensor ToFloat(Tensor x)
    {
        if (x.DType == DType.Float32) return x.Clone();
        var y = Tensor.Empty(x.Device, x.Shape);
        x.Device.Backend.IntToFloat(x, y);
        return y;
    }

    /// <summary>Uniform [lo, hi) from a counter-based hash of (seed, index): identical on every device.</summary>
    public static Tensor RandUniform(Device device, ulong seed, float lo, float hi, params int[] shape)
    {
        var y = Tensor.Empty(device, shape);
        device.Backend.RandUniform(y, seed, lo, hi);
        return y;
    }

    /// <summary>Reshape recorded on the tape (shares storage).</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var y = x.ViewAs(shape);
        return Autograd.Record(y, "reshape", [x], (g, needs) => [g.ViewAs(x.Shape)]);
    }
}
