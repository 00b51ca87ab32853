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
        long count;
        Tensor sum;
        using (var loss = Tensor.Empty(dev, n * s))
        {
            count = CrossEntropyPixels(logits, labels, loss, n, k, s, ignoreIndex, op);
            sum = ReduceRows(loss, null, 1, n * s, 1);
        }
        var y = sum.ViewAs();
        sum.Dispose();
        if (count > 0) dev.Backend.Unary(UnaryOp.DivScalar, y, y, count);
        else dev.Backend.Fill(y, 0f);
        float scale = count > 0 ? 1f / count : 0f;
        return Autograd.Record(y, op, [logits], (g, needs) =>
        {
            var dx = Tensor.Empty(g.Device, logits.Shape);
            if (dx.Numel > 0) g.Device.Backend.CrossEntropyBackward(logits, labels, g, false, scale, dx, n, k, s, ignoreIndex);
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
        CrossEntropyPixels(logits, labels, y, n, k, s, ignoreIndex, op);
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

    /// <summary>Fills per-pixel losses, validates the labels and returns the number of counted pixels.
    /// The check costs one reduction of the flags and a 2-float read; the labels are read back to the
    /// host only to name an offending value.</summary>
    static long CrossEntropyPixels(Tensor logits, Tensor labels, Tensor loss, int n, int k, int s, int ignoreIndex, string op)
    {
        long pixels = (long)n * s;
        if (pixels == 0) return 0;
        var dev = logits.Device;
        using var flags = Tensor.Empty(dev, 2, n * s);
        dev.Backend.CrossEntropyForward(logits, labels, loss, flags, n, k, s, ignoreIndex);
        using var counts = ReduceRows(flags, null, 2, n * s, 1);
        var c = counts.ToArray();
        if (c[1] > 0)
        {
            var lab = labels.ToIntArray();
            for (long j = 0; j < lab.Length; j++)
            {
                int l = lab[j];
                if (l != ignoreIndex && (l < 0 || l >= k))
                    throw new ArgumentException(
                        $"{op}: label {l} at pixel {j % s} of image {j / s} is outside [0, {k}) and is not ignore_index {ignoreIndex}");
            }
        }
        return (long)Math.Round(c[0]);
    }
}
