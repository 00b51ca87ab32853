using RobustSeg.Kernels;

namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>Zeroes whole (n, c) channels with probability p and scales the rest by 1/(1-p); returns x
    /// itself when not training or p == 0. Channel k = n*C + c is dropped when HashUniform(seed, k) &lt; p,
    /// so a seed drops the same channels on every device; the backward applies the same mask.</summary>
    public static Tensor Dropout2d(Tensor x, float p, bool training, ulong seed) => Dropout2d(x, p, training, seed, null);

    /// <summary>Dropout2d where sample n of x draws the mask row of sample <c>samplePositions[n]</c> of a larger
    /// batch (channel k = position*C + c): a shard of a global batch drops exactly the channels the whole batch
    /// would (data-parallel training gives the same masks for any number of ranks). Null: positions 0..N-1.</summary>
    public static Tensor Dropout2d(Tensor x, float p, bool training, ulong seed, IReadOnlyList<int>? samplePositions)
    {
        const string op = "dropout2d";
        Float(x, op);
        if (!(p >= 0f && p <= 1f)) throw new ArgumentException($"{op}: p must be in [0, 1], got {p}");
        if (!training || p == 0f) return x;
        var (n, c, s) = Ncs(x, op);
        var dev = x.Device;
        var mask = DropoutMask(dev, n, c, p, seed, samplePositions);
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

    static Tensor DropoutMask(Device dev, int n, int c, float p, ulong seed, IReadOnlyList<int>? positions)
    {
        float scale = p >= 1f ? 0f : 1f / (1f - p);
        bool identity = positions is null;
        if (positions is not null)
        {
            if (positions.Count != n) throw new ArgumentException($"dropout2d: {positions.Count} sample positions for a batch of {n}");
            identity = true;
            for (int i = 0; i < n; i++)
            {
                if (positions[i] < 0) throw new ArgumentException($"dropout2d: sample position {positions[i]} is negative");
                identity &= positions[i] == i;
            }
        }
        var mask = Tensor.Empty(dev, n * c);
        if (identity) { dev.Backend.Dropout2dMask(mask, seed, p, scale); return mask; }
        // The rows of the whole batch's mask at the given positions (the mask is tiny: rows x C floats).
        using (Tensor.Scope())
        {
            var at = positions!;
            int rows = at.Max() + 1;
            var all = Tensor.Empty(dev, rows, c);
            dev.Backend.Dropout2dMask(all, seed, p, scale);
            var picked = Cat(at.Select(r => Narrow(all, 0, r, 1)).ToArray(), 0);
            dev.Backend.Copy(picked, mask);
        }
        return mask;
    }
}
