using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Differentiable spatial crop and embed (pad) of NCHW tensors, built on the backend's
/// channel-block copy: rows are "channels" of W elements, then columns are "channels" of 1 element.
/// Used to run the sliding-window inference on the tape, so a perturbation of the whole image can be
/// attacked through every window at once.</summary>
public static class SpatialOps
{
    /// <summary>x[:, :, top:top+h, left:left+w].</summary>
    public static Tensor Crop(Tensor x, int top, int left, int h, int w)
    {
        int n = x.Size(0), c = x.Size(1), H = x.Size(2), W = x.Size(3);
        if (top < 0 || left < 0 || top + h > H || left + w > W)
            throw new ArgumentException($"crop [{top}:{top + h}, {left}:{left + w}] outside {x.ShapeString}");
        var y = RawCrop(x, top, left, h, w);
        return Autograd.Record(y, "crop2d", [x], (g, needs) => [RawEmbed(g, top, left, H, W, null)]);
    }

    /// <summary>x placed at (top, left) in an (outH, outW) canvas filled per channel with <paramref name="fill"/>
    /// (C values; null = zeros).</summary>
    public static Tensor Embed(Tensor x, int top, int left, int outH, int outW, float[]? fill = null)
    {
        int h = x.Size(2), w = x.Size(3);
        if (top < 0 || left < 0 || top + h > outH || left + w > outW)
            throw new ArgumentException($"embed of {x.ShapeString} at ({top},{left}) does not fit {outH}x{outW}");
        var y = RawEmbed(x, top, left, outH, outW, fill);
        return Autograd.Record(y, "embed2d", [x], (g, needs) => [RawCrop(g, top, left, h, w)]);
    }

    static Tensor RawCrop(Tensor x, int top, int left, int h, int w)
    {
        int n = x.Size(0), c = x.Size(1), H = x.Size(2), W = x.Size(3);
        var be = x.Device.Backend;
        using var rows = Tensor.Empty(x.Device, n, c, h, W);
        be.CopyChannels(x, H, top, rows, h, 0, h, W, n * c, false);
        var y = Tensor.Empty(x.Device, n, c, h, w);
        be.CopyChannels(rows, W, left, y, w, 0, w, 1, n * c * h, false);
        return y;
    }

    static Tensor RawEmbed(Tensor x, int top, int left, int H, int W, float[]? fill)
    {
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        var be = x.Device.Backend;
        using var rows = Filled(x.Device, n, c, h, W, fill);
        be.CopyChannels(x, w, 0, rows, W, left, w, 1, n * c * h, false);
        var y = Filled(x.Device, n, c, H, W, fill);
        be.CopyChannels(rows, h, 0, y, H, top, h, W, n * c, false);
        return y;
    }

    static Tensor Filled(Device d, int n, int c, int h, int w, float[]? fill)
    {
        var z = Tensor.Zeros(d, n, c, h, w);
        if (fill is null) return z;
        if (fill.Length != c) throw new ArgumentException($"embed fill has {fill.Length} values for {c} channels");
        using var _ = Autograd.NoGrad();
        using var v = Tensor.FromArray(d, fill, c);
        using (z) return F.AddChannel(z, v);
    }
}
