namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>Softmax over dim 1 of (N, C, ...), numerically stable (the channel max is subtracted).</summary>
    public static Tensor Softmax(Tensor x) => SoftmaxOp(x, log: false, "softmax");

    /// <summary>Log-softmax over dim 1 of (N, C, ...): (x - max) - log(sum(exp(x - max))).</summary>
    public static Tensor LogSoftmax(Tensor x) => SoftmaxOp(x, log: true, "log_softmax");

    static Tensor SoftmaxOp(Tensor x, bool log, string op)
    {
        Float(x, op);
        var (n, c, s) = Ncs(x, op);
        var y = Tensor.Empty(x.Device, x.Shape);
        if (y.Numel > 0) x.Device.Backend.Softmax(x, y, log, n, c, s);
        return Autograd.Record(y, op, [x], (g, needs) =>
        {
            var dx = Tensor.Empty(g.Device, x.Shape);
            if (dx.Numel > 0) g.Device.Backend.SoftmaxBackward(y, g, dx, log, n, c, s);
            return [dx];
        });
    }
}
