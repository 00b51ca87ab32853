using RobustSeg.Kernels;

namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>Batch norm over (N, H, W) per channel of an (N, C, ...) tensor. training: batch statistics
    /// (biased variance to normalise), running stats updated in place with momentum and unbiased variance
    /// (as PyTorch); eval: running stats. Gradients for x, weight and bias in both modes.</summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar,
        bool training, float momentum = 0.1f, float eps = 1e-5f) =>
        BatchNormCore("batch_norm2d", x, weight, bias, runningMean, runningVar, training, momentum, eps, null, relu: false);

    /// <summary>relu(batch_norm(x) + residual) (residual optional) in one buffer, as PyTorch's in-place ReLU after
    /// BatchNorm (and after `out += identity` in a residual block): the normalised values and their sum with the
    /// residual are never kept apart, so training holds one activation where separate ops hold three. The backward
    /// masks the gradient by y &gt; 0 (where the ReLU's input was positive) and runs batch norm's backward on it; the
    /// residual's gradient is that masked gradient. Same values as the separate ops, bit for bit.</summary>
    public static Tensor BatchNormRelu2d(Tensor x, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar,
        bool training, float momentum = 0.1f, float eps = 1e-5f, Tensor? residual = null) =>
        BatchNormCore("batch_norm_relu2d", x, weight, bias, runningMean, runningVar, training, momentum, eps, residual, relu: true);

    /// <summary>Batch norm, then (relu) the residual added and ReLU in place; the backward masks the gradient by y &gt; 0
    /// when relu, and that masked gradient is the residual's.</summary>
    static Tensor BatchNormCore(string op, Tensor x, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar,
        bool training, float momentum, float eps, Tensor? residual, bool relu)
    {
        Float(x, op);
        var (n, c, s) = Ncs(x, op);
        CheckChannelVector(weight, c, x, op, "weight");
        CheckChannelVector(bias, c, x, op, "bias");
        CheckChannelVector(runningMean, c, x, op, "running_mean");
        CheckChannelVector(runningVar, c, x, op, "running_var");
        if (!(eps > 0f)) throw new ArgumentException($"{op}: eps must be positive, got {eps}");
        if (training && (long)n * s <= 1)
            throw new ArgumentException($"{op}: expected more than 1 value per channel when training, got input size {x.ShapeString}");
        if (residual is not null)
        {
            Float(residual, op, "residual");
            SameShape(x, residual, op);
        }

        var dev = x.Device;
        var mean = Tensor.Empty(dev, c);
        var invstd = Tensor.Empty(dev, c);
        var y = Tensor.Empty(dev, x.Shape);
        using (var scaleShift = Tensor.Scope())
        {
            var scale = Tensor.Empty(dev, c);
            var shift = Tensor.Empty(dev, c);
            dev.Backend.BatchNormStats(x, n, c, s, weight, bias, runningMean, runningVar, training, momentum, eps, mean, invstd, scale, shift);
            dev.Backend.BatchNormApply(x, scale, shift, y, c, s, residual, relu);
        }
        if (!Autograd.ShouldRecord(x, weight, bias, residual))
        {
            mean.Dispose();
            invstd.Dispose();
            return y;
        }
        return Autograd.Record(y, op, [x, weight, bias, residual], (g, needs) =>
        {
            // y > 0 exactly where the ReLU's input was positive. Where dx is wanted the backward masks g on the fly
            // (and writes the masked gradient only for the residual); otherwise a separate ReLU gradient.
            if (relu && needs[0])
            {
                var fdx = Tensor.Empty(dev, x.Shape);
                var fdw = needs[1] ? Tensor.Empty(dev, c) : null;
                var fdb = needs[2] ? Tensor.Empty(dev, c) : null;
                var fgm = needs[3] ? Tensor.Empty(dev, x.Shape) : null;
                dev.Backend.BatchNormBackward(x, g, mean, invstd, weight, training, n, c, s, fdx, fdw, fdb, reluOut: y, maskedDy: fgm);
                return [fdx, fdw, fdb, fgm];
            }
            var gm = g;
            if (relu)
            {
                gm = Tensor.Empty(dev, x.Shape);
                dev.Backend.UnaryGrad(UnaryOp.Relu, y, y, g, gm, 0f, 0f);
            }
            var dx = needs[0] ? Tensor.Empty(dev, x.Shape) : null;
            var dw = needs[1] ? Tensor.Empty(dev, c) : null;
            var db = needs[2] ? Tensor.Empty(dev, c) : null;
            if (needs[0] || needs[1] || needs[2])
                dev.Backend.BatchNormBackward(x, gm, mean, invstd, weight, training, n, c, s, dx, dw, db);
            if (!needs[3] && !ReferenceEquals(gm, g)) gm.Dispose();
            return [dx, dw, db, needs[3] ? gm : null];
        });
    }

    static void CheckChannelVector(Tensor? v, int c, Tensor x, string op, string name)
    {
        if (v is null) return;
        Float(v, op, name);
        if (v.Rank != 1 || v.Size(0) != c)
            throw new ArgumentException($"{op}: {name} must have shape [{c}] for input {x.ShapeString}, got {v.ShapeString}");
        if (v.Device != x.Device) throw new ArgumentException($"{op}: {name} is on {v.Device}, input on {x.Device}");
    }
}
