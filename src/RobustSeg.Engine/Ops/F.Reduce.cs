namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>Sums x viewed as (outer, r, inner) over r, deterministically: long rows are split into
    /// parts summed in a fixed order and finished by a second pass (no atomics).</summary>
    internal static Tensor ReduceRows(Tensor x, Tensor? y, int outer, int r, int inner)
    {
        var dev = x.Device;
        long outputs = (long)outer * inner;
        if (r > 8192 && outputs < 4096)
        {
            int rChunk = 2048;
            int parts = (r + rChunk - 1) / rChunk;
            using var partial = Tensor.Empty(dev, outer, parts, inner);
            dev.Backend.Reduce(x, y, partial, outer, r, inner, rChunk);
            var outT = Tensor.Empty(dev, outer, inner);
            dev.Backend.Reduce(partial, null, outT, outer, parts, inner, parts);
            return outT;
        }
        var o = Tensor.Empty(dev, outer, inner);
        dev.Backend.Reduce(x, y, o, outer, r, inner, Math.Max(1, r));
        return o;
    }

    /// <summary>Sum of all elements (a one-element tensor of shape []).</summary>
    public static Tensor Sum(Tensor x)
    {
        Float(x, "sum");
        var s = ReduceRows(x, null, 1, (int)x.Numel, 1);
        var y = s.ViewAs();
        s.Dispose();
        return Autograd.Record(y, "sum", [x], (g, needs) =>
        {
            var dx = Tensor.Empty(x.Device, x.Shape);
            x.Device.Backend.Expand(g, dx, 1, (int)x.Numel, 1, 1f);
            return [dx];
        });
    }

    public static Tensor Mean(Tensor x) => x.Numel == 0
        ? throw new ArgumentException("mean of an empty tensor")
        : ScaleSum(Sum(x), 1f / x.Numel);

    static Tensor ScaleSum(Tensor s, float k)
    {
        var r = MulScalar(s, k);
        return r;
    }

    /// <summary>Sum over the given axes (negative counts from the end).</summary>
    public static Tensor Sum(Tensor x, int[] axes, bool keepDim = false)
    {
        Float(x, "sum");
        var shape = x.Shape;
        var set = new SortedSet<int>();
        foreach (var a0 in axes)
        {
            int a = a0 < 0 ? a0 + shape.Length : a0;
            if (a < 0 || a >= shape.Length) throw new ArgumentException($"sum: axis {a0} out of range for {x.ShapeString}");
            set.Add(a);
        }
        var outShape = new List<int>();
        for (int d = 0; d < shape.Length; d++)
            if (!set.Contains(d)) outShape.Add(shape[d]); else if (keepDim) outShape.Add(1);

        // Reduce contiguous runs of axes, last run first; each run is one (outer, r, inner) pass.
        var runs = new List<(int from, int to)>();
        foreach (var a in set)
            if (runs.Count > 0 && runs[^1].to == a - 1) runs[^1] = (runs[^1].from, a); else runs.Add((a, a));
        Tensor cur = x;
        var curShape = (int[])shape.Clone();
        for (int ri = runs.Count - 1; ri >= 0; ri--)
        {
            var (from, to) = runs[ri];
            int outer = 1, r = 1, inner = 1;
            for (int d = 0; d < from; d++) outer *= curShape[d];
            for (int d = from; d <= to; d++) r *= curShape[d];
            for (int d = to + 1; d < curShape.Length; d++) inner *= curShape[d];
            var next = ReduceRows(cur, null, outer, r, inner);
            if (!ReferenceEquals(cur, x)) cur.Dispose();
            cur = next;
            for (int d = from; d <= to; d++) curShape[d] = 1;
        }
        var y = cur.ViewAs(outShape.ToArray());
        if (!ReferenceEquals(cur, x)) cur.Dispose();
        var xShape = x.Shape;
        return Autograd.Record(y, "sum_axes", [x], (g, needs) =>
        {
            // Expand back run by run, first run first (mirror of the forward).
            Tensor cg = g;
            var gShape = (int[])xShape.Clone();
            foreach (var (from, to) in runs) for (int d = from; d <= to; d++) gShape[d] = 1;
            foreach (var (from, to) in runs)
            {
                int outer = 1, r = 1, inner = 1;
                for (int d = 0; d < from; d++) outer *= gShape[d];
                for (int d = from; d <= to; d++) r *= xShape[d];
                for (int d = to + 1; d < gShape.Length; d++) inner *= gShape[d];
                for (int d = from; d <= to; d++) gShape[d] = xShape[d];
                var e = Tensor.Empty(g.Device, gShape);
                g.Device.Backend.Expand(cg, e, outer, r, inner, 1f);
                if (!ReferenceEquals(cg, g)) cg.Dispose();
                cg = e;
            }
            return [ReferenceEquals(cg, g) ? g.ViewAs(xShape) : cg];
        });
    }

    public static Tensor Mean(Tensor x, int[] axes, bool keepDim = false)
    {
        long count = 1;
        foreach (var a in axes) count *= x.Size(a);
        return MulScalar(Sum(x, axes, keepDim), 1f / count);
    }

    /// <summary>Per-channel sum over N and spatial of x (times y): shape (C). No tape (used in backward passes).</summary>
    public static Tensor SumChannels(Tensor x, Tensor? y)
    {
        var (n, c, s) = Ncs(x, "sum_channels");
        using var perPlane = ReduceRows(x, y, n * c, s, 1);
        var r = ReduceRows(perPlane, null, 1, n, c);
        var v = r.ViewAs(c);
        r.Dispose();
        return v;
    }

    /// <summary>Max over channels (dim 1): values (N, ...) and int32 indices (N, ...).</summary>
    public static (Tensor Values, Tensor Indices) MaxChannels(Tensor x)
    {
        var (n, c, s) = Ncs(x, "max");
        var outShape = x.Shape.Where((_, i) => i != 1).ToArray();
        var values = Tensor.Empty(x.Device, outShape);
        var idx = Tensor.EmptyInt(x.Device, outShape);
        x.Device.Backend.ChannelMax(x, values, idx, c, s);
        Autograd.Record(values, "max_channels", [x], (g, needs) =>
        {
            var dx = Tensor.Empty(x.Device, x.Shape);
            x.Device.Backend.ChannelScatter(idx, g, dx, c, s);
            return [dx];
        });
        return (values, idx);
    }

    /// <summary>Index of the largest channel (first on ties), int32 (N, ...).</summary>
    public static Tensor Argmax(Tensor x)
    {
        using var _ = Autograd.NoGrad();
        var (v, i) = MaxChannels(x);
        v.Dispose();
        return i;
    }

    /// <summary>Concatenation along channels (dim 1).</summary>
    public static Tensor Concat(params Tensor[] xs)
    {
        if (xs.Length == 0) throw new ArgumentException("concat of nothing");
        var (n, _, s) = Ncs(xs[0], "concat");
        int total = 0;
        foreach (var t in xs)
        {
            var (tn, tc, ts) = Ncs(t, "concat");
            if (tn != n || ts != s || t.Rank != xs[0].Rank)
                throw new ArgumentException($"concat: {t.ShapeString} does not match {xs[0].ShapeString} outside dim 1");
            total += tc;
        }
        var shape = xs[0].Shape; shape[1] = total;
        var y = Tensor.Empty(xs[0].Device, shape);
        int off = 0;
        var offsets = new int[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            offsets[i] = off;
            y.Device.Backend.CopyChannels(xs[i], xs[i].Size(1), 0, y, total, off, xs[i].Size(1), s, n, false);
            off += xs[i].Size(1);
        }
        return Autograd.Record(y, "concat", xs, (g, needs) =>
        {
            var r = new Tensor?[xs.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                if (!needs[i]) continue;
                var d = Tensor.Empty(g.Device, xs[i].Shape);
                g.Device.Backend.CopyChannels(g, total, offsets[i], d, xs[i].Size(1), 0, xs[i].Size(1), s, n, false);
                r[i] = d;
            }
            return r;
        });
    }

    /// <summary>Channels [start, start+count) of x (dim 1), as a new tensor.</summary>
    public static Tensor SliceChannels(Tensor x, int start, int count)
    {
        var (n, c, s) = Ncs(x, "slice");
        if (start < 0 || count < 0 || start + count > c)
            throw new ArgumentException($"slice: channels [{start}, {start + count}) out of range for {x.ShapeString}");
        var shape = x.Shape; shape[1] = count;
        var y = Tensor.Empty(x.Device, shape);
        x.Device.Backend.CopyChannels(x, c, start, y, count, 0, count, s, n, false);
        return Autograd.Record(y, "slice", [x], (g, needs) =>
        {
            var dx = Tensor.Zeros(g.Device, x.Shape);
            g.Device.Backend.CopyChannels(g, count, 0, dx, c, start, count, s, n, false);
            return [dx];
        });
    }
}
