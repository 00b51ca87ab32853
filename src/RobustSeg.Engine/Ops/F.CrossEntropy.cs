using RobustSeg.Kernels;

namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>Mean cross-entropy over the non-ignored pixels of logits (N, K, H, W) (or (N, K, ...))
    /// and int32 labels (N, H, W), as torch.nn.functional.cross_entropy(..., ignore_index, reduction='mean').
    /// Log-softmax is fused and stable; the sum is a fixed-order reduction (deterministic).
    /// Convention: when every pixel is ignored PyTorch returns NaN (0/0); this returns a loss of 0 with a
    /// zero gradient, so a batch of unlabelled crops does not poison training.
    /// A label outside [0, K) that is not ignoreIndex throws an ArgumentException naming the value.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, int ignoreIndex = 255)
    {
        const string op = "cross_entropy";
        var (n, k, s) = CheckCrossEntropy(logits, labels, op);
        var dev = logits.Device;
        Tensor sum, count;
        using (var loss = Tensor.Empty(dev, n * s))
        {
            using var counts = CrossEntropyPixels(logits, labels, loss, n, k, s, ignoreIndex, op);
            sum = ReduceRows(loss, null, 1, n * s, 1);
            using var cv = counts.ViewAs(2);
            count = Narrow(cv, 0, 0, 1);
        }
        // The mean stays on the device (no read per call): sum / max(count, 1) is sum / count, and 0 when every
        // pixel is ignored (the sum is 0 then); the backward scales the incoming gradient by 1 / max(count, 1),
        // which gives the same bits as scaling by a host 1 / count.
        using var one = Tensor.Full(dev, 1f, 1);
        using var denom = Tensor.Empty(dev, 1);
        dev.Backend.Binary(BinaryOp.Max, count, one, denom);
        count.Dispose();
        var y = Tensor.Empty(dev);
        using (var flat = y.ViewAs(1)) using (var s1 = sum.ViewAs(1)) dev.Backend.Binary(BinaryOp.Div, s1, denom, flat);
        sum.Dispose();
        var inv = Tensor.Empty(dev, 1);
        dev.Backend.Unary(UnaryOp.RDivScalar, denom, inv, 1f);
        return Autograd.Record(y, op, [logits], (g, needs) =>
        {
            var dx = Tensor.Empty(g.Device, logits.Shape);
            if (dx.Numel == 0) return [dx];
            using var gs = Tensor.Empty(g.Device, 1);
            using (var g1 = g.ViewAs(1)) g.Device.Backend.Binary(BinaryOp.Mul, g1, inv, gs);
            g.Device.Backend.CrossEntropyBackward(logits, labels, gs, false, 1f, dx, n, k, s, ignoreIndex);
            return [dx];
        });
    }

    /// <summary>Per-pixel cross-entropy (the shape of labels, e.g. (N, H, W)), 0 at ignored pixels, as
    /// cross_entropy(..., reduction='none'). Used by attacks that weight pixels (SegPGD, CosPGD).
    /// Labels outside [0, K) that are not ignoreIndex throw an ArgumentException naming the value.</summary>
    public static Tensor CrossEntropyPerPixel(Tensor logits, Tensor labels, int ignoreIndex = 255)
    {
        const string op = "cross_entropy_per_pixel";
        var (n, k, s) = CheckCrossEntropy(logits, labels, op);
        var y = Tensor.Empty(logits.Device, labels.Shape);
        CrossEntropyPixels(logits, labels, y, n, k, s, ignoreIndex, op).Dispose();
        return Autograd.Record(y, op, [logits], (g, needs) =>
        {
            var dx = Tensor.Empty(g.Device, logits.Shape);
            if (dx.Numel > 0) g.Device.Backend.CrossEntropyBackward(logits, labels, g, true, 1f, dx, n, k, s, ignoreIndex);
            return [dx];
        });
    }

    static (int N, int K, int S) CheckCrossEntropy(Tensor logits, Tensor labels, string op)
    {
        Float(logits, op, "logits");
        if (labels.DType != DType.Int32) throw new ArgumentException($"{op}: labels must be int32, got {labels.DType}");
        if (logits.Device != labels.Device) throw new ArgumentException($"{op}: logits on {logits.Device}, labels on {labels.Device}");
        var (n, k, s) = Ncs(logits, op);
        var expect = logits.Shape.Where((_, i) => i != 1).ToArray();
        if (!labels.ShapeSpan.SequenceEqual(expect))
            throw new ArgumentException($"{op}: labels {labels.ShapeString} do not match logits {logits.ShapeString} (expected [{string.Join(", ", expect)}])");
        if (k < 1) throw new ArgumentException($"{op}: logits need at least one class, got {logits.ShapeString}");
        return (n, k, s);
    }

    /// <summary>Fills per-pixel losses, validates the labels and returns the device counts (counted pixels,
    /// invalid labels). Labels whose values are known on the host (<see cref="Tensor.KnownValues"/>: uploaded
    /// labels and the ops that carry them) are validated there, with no device read; others cost a 2-float read.
    /// The labels are read back to the host only to name an offending value.</summary>
    static Tensor CrossEntropyPixels(Tensor logits, Tensor labels, Tensor loss, int n, int k, int s, int ignoreIndex, string op)
    {
        long pixels = (long)n * s;
        var dev = logits.Device;
        if (pixels == 0) return Tensor.Zeros(dev, 2);
        using var flags = Tensor.Empty(dev, 2, n * s);
        dev.Backend.CrossEntropyForward(logits, labels, loss, flags, n, k, s, ignoreIndex);
        var counts = ReduceRows(flags, null, 2, n * s, 1);
        bool invalid = labels.KnownValues is { } known ? !known.AllLabels(k, ignoreIndex) : counts.ToArray()[1] > 0;
        if (invalid)
        {
            var lab = labels.ToIntArray();
            for (long j = 0; j < lab.Length; j++)
            {
                int l = lab[j];
                if (l != ignoreIndex && (l < 0 || l >= k))
                {
                    counts.Dispose();
                    throw new ArgumentException(
                        $"{op}: label {l} at pixel {j % s} of image {j / s} is outside [0, {k}) and is not ignore_index {ignoreIndex}");
                }
            }
        }
        return counts;
    }
}
