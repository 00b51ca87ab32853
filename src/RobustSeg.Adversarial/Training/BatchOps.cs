using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Training;

/// <summary>Slicing and joining along the batch dimension. A contiguous (N, ...) tensor viewed as
/// (1, N, rest) turns batch slices into channel slices, which the engine has on every device.</summary>
public static class BatchOps
{
    /// <summary>Images [start, start+count) of a float batch (a copy, off the tape).</summary>
    public static Tensor Slice(Tensor x, int start, int count)
    {
        int n = x.Size(0);
        if (start < 0 || count < 0 || start + count > n) throw new ArgumentOutOfRangeException(nameof(start), $"batch slice [{start}, {start + count}) of {n}");
        var shape = x.Shape;
        if (x.DType == DType.Int32)
        {
            var all = x.ToIntArray();
            int per = (int)(x.Numel / Math.Max(1, n));
            shape[0] = count;
            return Tensor.FromArray(x.Device, all.AsSpan(start * per, count * per).ToArray(), shape);
        }
        using var _ = Autograd.NoGrad();
        using var v = x.Detach().ViewAs(1, n, -1);
        var s = F.SliceChannels(v, start, count);
        shape[0] = count;
        var r = s.ViewAs(shape);
        s.Dispose();
        return r;
    }

    /// <summary>The batches one after the other (a copy, off the tape).</summary>
    public static Tensor Cat(Tensor a, Tensor b)
    {
        if (a.Rank != b.Rank || !a.ShapeSpan[1..].SequenceEqual(b.ShapeSpan[1..]))
            throw new ArgumentException($"batch concat: {a.ShapeString} and {b.ShapeString} differ outside dim 0");
        using var _ = Autograd.NoGrad();
        using var va = a.Detach().ViewAs(1, a.Size(0), -1);
        using var vb = b.Detach().ViewAs(1, b.Size(0), -1);
        var c = F.Concat(va, vb);
        var shape = a.Shape;
        shape[0] = a.Size(0) + b.Size(0);
        var r = c.ViewAs(shape);
        c.Dispose();
        return r;
    }
}
