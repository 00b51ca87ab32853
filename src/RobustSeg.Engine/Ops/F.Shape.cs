namespace RobustSeg.Engine;

/// <summary>Shape ops along any axis: narrow (slice), pad, cat, the spatial crop/pad pair of the sliding
/// window, and broadcasting a single channel over C channels. All of them are block copies of the backend's
/// CopyChannels (axis a of a contiguous tensor splits it into outer x size x inner), so they run on every
/// device, for float32 and int32 tensors alike (labels are sliced on the device); float ones are differentiable.</summary>
public static partial class F
{
    static (int Outer, int Size, int Inner) AxisSplit(Tensor x, int axis, string op)
    {
        if (axis < 0) axis += x.Rank;
        if (axis < 0 || axis >= x.Rank) throw new ArgumentException($"{op}: axis out of range for {x.ShapeString}");
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= x.Size(i);
        for (int i = axis + 1; i < x.Rank; i++) inner *= x.Size(i);
        if (outer * inner * x.Size(axis) > int.MaxValue) throw new ArgumentException($"{op}: {x.ShapeString} is too large");
        return ((int)outer, x.Size(axis), (int)inner);
    }

    static int NormAxis(Tensor x, int axis) => axis < 0 ? axis + x.Rank : axis;

    static void CopyBlock(Tensor src, int srcSize, int srcStart, Tensor dst, int dstSize, int dstStart, int count, int inner, int outer)
    {
        if (count > 0 && outer > 0 && inner > 0)
            src.Device.Backend.CopyChannels(src, srcSize, srcStart, dst, dstSize, dstStart, count, inner, outer, false);
    }

    /// <summary>x.narrow(axis, start, length) as a new tensor (torch.narrow, copied).</summary>
    public static Tensor Narrow(Tensor x, int axis, int start, int length)
    {
        var (outer, size, inner) = AxisSplit(x, axis, "narrow");
        if (start < 0 || length < 0 || start + length > size)
            throw new ArgumentException($"narrow: [{start}, {start + length}) out of range for axis {axis} of {x.ShapeString}");
        var shape = x.Shape; shape[NormAxis(x, axis)] = length;
        var y = Tensor.EmptyLike(x, shape);
        CopyBlock(x, size, start, y, length, 0, length, inner, outer);
        y.KnownValues = x.KnownValues;
        return Autograd.Record(y, "narrow", [x], (g, needs) =>
        {
            var dx = Tensor.Zeros(g.Device, x.Shape);
            CopyBlock(g, length, 0, dx, size, start, length, inner, outer);
            return [dx];
        });
    }

    /// <summary>Constant padding of one axis (torch.nn.functional.pad on that axis): <paramref name="before"/> and
    /// <paramref name="after"/> elements of <paramref name="value"/> (an int32 tensor takes the value as an integer).</summary>
    public static Tensor Pad(Tensor x, int axis, int before, int after, float value = 0f)
    {
        var (outer, size, inner) = AxisSplit(x, axis, "pad");
        if (before < 0 || after < 0) throw new ArgumentException($"pad: negative padding ({before}, {after})");
        var shape = x.Shape; shape[NormAxis(x, axis)] = size + before + after;
        var y = Tensor.EmptyLike(x, shape);
        x.Device.Backend.Fill(y, value);
        CopyBlock(x, size, 0, y, size + before + after, before, size, inner, outer);
        if (x.DType == DType.Int32) y.KnownValues = before + after == 0 ? x.KnownValues : IntValueSet.Union(x.KnownValues, IntValueSet.Single((int)value));
        return Autograd.Record(y, "pad", [x], (g, needs) =>
        {
            var dx = Tensor.Empty(g.Device, x.Shape);
            CopyBlock(g, size + before + after, before, dx, size, 0, size, inner, outer);
            return [dx];
        });
    }

    /// <summary>torch.cat(xs, axis): every shape equal outside <paramref name="axis"/>, same dtype.</summary>
    public static Tensor Cat(Tensor[] xs, int axis)
    {
        if (xs.Length == 0) throw new ArgumentException("cat of nothing");
        var first = xs[0];
        int ax = NormAxis(first, axis);
        var (outer, _, inner) = AxisSplit(first, axis, "cat");
        int total = 0;
        foreach (var t in xs)
        {
            bool ok = t.Rank == first.Rank && t.DType == first.DType;
            for (int i = 0; ok && i < t.Rank; i++) ok = i == ax || t.Size(i) == first.Size(i);
            if (!ok) throw new ArgumentException($"cat: {t.ShapeString} ({t.DType}) does not match {first.ShapeString} ({first.DType}) outside axis {axis}");
            total += t.Size(ax);
        }
        var shape = first.Shape; shape[ax] = total;
        var y = Tensor.EmptyLike(first, shape);
        var offsets = new int[xs.Length];
        for (int i = 0, off = 0; i < xs.Length; off += xs[i].Size(ax), i++)
        {
            offsets[i] = off;
            CopyBlock(xs[i], xs[i].Size(ax), 0, y, total, off, xs[i].Size(ax), inner, outer);
        }
        if (first.DType == DType.Int32) y.KnownValues = xs.Skip(1).Aggregate(first.KnownValues, (a, t) => IntValueSet.Union(a, t.KnownValues));
        return Autograd.Record(y, "cat", xs, (g, needs) =>
        {
            var r = new Tensor?[xs.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                if (!needs[i]) continue;
                r[i] = Tensor.Empty(g.Device, xs[i].Shape);
                CopyBlock(g, total, offsets[i], r[i]!, xs[i].Size(ax), 0, xs[i].Size(ax), inner, outer);
            }
            return r;
        });
    }

    /// <summary>x[:, :, top:top+h, left:left+w] of an NCHW tensor.</summary>
    public static Tensor Crop2d(Tensor x, int top, int left, int h, int w)
    {
        if (x.Rank != 4) throw new ArgumentException($"crop2d takes NCHW, got {x.ShapeString}");
        var rows = Narrow(x, 2, top, h); // on the tape: freed by the caller's scope, not here
        return Narrow(rows, 3, left, w);
    }

    /// <summary>x (N,C,h,w) placed at (top, left) on an (outH, outW) canvas filled per channel with
    /// <paramref name="channelFill"/> (C values; null = zeros): the sliding window's padding with the mean colour.</summary>
    public static Tensor Pad2d(Tensor x, int top, int left, int outH, int outW, float[]? channelFill = null)
    {
        if (x.Rank != 4) throw new ArgumentException($"pad2d takes NCHW, got {x.ShapeString}");
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        if (top < 0 || left < 0 || top + h > outH || left + w > outW)
            throw new ArgumentException($"pad2d of {x.ShapeString} at ({top},{left}) does not fit {outH}x{outW}");
        if (channelFill is not null && channelFill.Length != c) throw new ArgumentException($"pad2d: {channelFill.Length} fill values for {c} channels");
        var y = Tensor.Empty(x.Device, n, c, outH, outW);
        if (channelFill is null) x.Device.Backend.Fill(y, 0f);
        else
            for (int ch = 0; ch < c; ch++)
            {
                // One channel plane at a time: fill a (N,1,H,W) plane and copy it in.
                using var plane = Tensor.Empty(x.Device, n, 1, outH, outW);
                x.Device.Backend.Fill(plane, channelFill[ch]);
                CopyBlock(plane, 1, 0, y, c, ch, 1, outH * outW, n);
            }
        // Rows of x land at (top + r, left): per (n, c, r) a block of w floats.
        for (int r = 0; r < h; r++)
            CopyBlockStrided(x, r * w, h * w, y, (top + r) * outW + left, outH * outW, w, n * c);
        return Autograd.Record(y, "pad2d", [x], (g, needs) =>
        {
            var dx = Tensor.Empty(g.Device, x.Shape);
            for (int r = 0; r < h; r++)
                CopyBlockStrided(g, (top + r) * outW + left, outH * outW, dx, r * w, h * w, w, n * c);
            return [dx];
        });
    }

    /// <summary>For each of <paramref name="outer"/> planes, <paramref name="count"/> contiguous words from offset
    /// srcOff of a plane of srcPlane words to offset dstOff of a plane of dstPlane words.</summary>
    static void CopyBlockStrided(Tensor src, int srcOff, int srcPlane, Tensor dst, int dstOff, int dstPlane, int count, int outer) =>
        CopyBlock(src, srcPlane, srcOff, dst, dstPlane, dstOff, count, 1, outer);

    /// <summary>(N,1,...) broadcast over <paramref name="channels"/> channels (x.expand(N, C, ...), copied).</summary>
    public static Tensor ExpandChannels(Tensor x, int channels)
    {
        if (x.Rank < 2 || x.Size(1) != 1) throw new ArgumentException($"expand_channels takes (N,1,...), got {x.ShapeString}");
        if (channels < 1) throw new ArgumentException($"expand_channels: channels must be >= 1, got {channels}");
        var (n, _, s) = AxisSplit(x, 1, "expand_channels");
        var shape = x.Shape; shape[1] = channels;
        var y = Tensor.EmptyLike(x, shape);
        if (x.DType == DType.Float32) x.Device.Backend.Expand(x, y, n, channels, s, 1f);
        else for (int c = 0; c < channels; c++) CopyBlock(x, 1, 0, y, channels, c, 1, s, n);
        return Autograd.Record(y, "expand_channels", [x], (g, needs) =>
        {
            using var _ = Autograd.NoGrad();
            return [Sum(g, [1], keepDim: true)];
        });
    }
}
