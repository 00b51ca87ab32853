using RobustSeg.Kernels;

namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>Zeroes whole (n, c) channels with probability p and scales the rest by 1/(1-p); returns x
    /// itself when not training or p == 0. Channel k = n*C + c is dropped when HashUniform(seed, k) &lt; p,
    /// so a seed drops the same channels on every device; the backward applies the same mask.</summary>
    public static Tensor Dropout2d(Tensor x, float p, bool training, ulong seed)
    {
        const string op = "dropout2d";
        Float(x, op);
        if (!(p >= 0f && p <= 1f)) throw new ArgumentException($"{op}: p must be in [0, 1], got {p}");
        if (!training || p == 0f) return x;
        var (n, c, s) = Ncs(x, op);
        var dev = x.Device;
        var mask = Tensor.Empty(dev, n * c);
        dev.Backend.Dropout2dMask(mask, seed, p, p >= 1f ? 0f : 1f / (1f - p));
        var y = Tensor.Empty(dev, x.Shape);
        dev.Backend.Channel(BinaryOp.Mul, x, mask, y, n * c, s);
        if (!Autograd.ShouldRecord(x)) { mask.Dispose(); return y; }
        return Autograd.Record(y, op, [x], (g, needs) =>
        {
            var dx = Tensor.Empty(dev, x.Shape);
            dev.Backend.Channel(BinaryOp.Mul, g, mask, dx, n * c, s);
            return [dx];
        });
    }
}
