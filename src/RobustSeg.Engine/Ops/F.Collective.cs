namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>A sum over processes as a differentiable op: y = the sum of x over every rank (computed by
    /// <paramref name="sumInPlace"/>, which the distributed layer supplies: the engine knows no processes).
    /// Every rank's output depends on every rank's input, so the backward is the same sum of the incoming
    /// gradients (what SyncBatchNorm's backward reduces). Every rank must reach both calls in the same order.</summary>
    public static Tensor CrossProcessSum(Tensor x, Action<Tensor> sumInPlace)
    {
        const string op = "cross_process_sum";
        Float(x, op);
        var dev = x.Device;
        var y = Tensor.Empty(dev, x.Shape);
        dev.Backend.Copy(x, y);
        sumInPlace(y);
        if (!Autograd.ShouldRecord(x)) return y;
        return Autograd.Record(y, op, [x], (g, needs) =>
        {
            var dx = Tensor.Empty(dev, g.Shape);
            dev.Backend.Copy(g, dx);
            sumInPlace(dx);
            return [dx];
        });
    }
}
