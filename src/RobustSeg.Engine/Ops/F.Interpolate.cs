namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>Bilinear resize of (N, C, H, W) to (N, C, outH, outW) with align_corners=True, as
    /// torch.nn.functional.interpolate(x, (outH, outW), mode='bilinear', align_corners=True): output
    /// index o samples src = o*(in-1)/(out-1) (0 when out == 1). Up- and downsampling, any sizes ≥ 1.
    /// The backward is a gather (each input pixel sums the outputs that sample it): no atomics.</summary>
    public static Tensor InterpolateBilinear(Tensor x, int outH, int outW)
    {
        const string op = "interpolate_bilinear";
        Float(x, op);
        if (x.Rank != 4) throw new ArgumentException($"{op}: expected (N, C, H, W), got {x.ShapeString}");
        if (outH < 1 || outW < 1) throw new ArgumentException($"{op}: output size must be at least 1x1, got {outH}x{outW}");
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        if (h < 1 || w < 1) throw new ArgumentException($"{op}: input spatial size must be at least 1x1, got {x.ShapeString}");
        if ((long)n * c * Math.Max((long)outH * outW, (long)h * w) > int.MaxValue)
            throw new ArgumentException($"{op}: {x.ShapeString} -> {outH}x{outW} exceeds 2^31 elements");
        int planes = n * c;
        var dev = x.Device;
        bool same = h == outH && w == outW; // align_corners with equal sizes is the identity
        var y = Tensor.Empty(dev, n, c, outH, outW);
        if (planes > 0)
        {
            if (same) dev.Backend.Copy(x, y);
            else dev.Backend.InterpolateBilinear(x, y, planes, h, w, outH, outW);
        }
        return Autograd.Record(y, op, [x], (g, needs) =>
        {
            var dx = Tensor.Empty(g.Device, n, c, h, w);
            if (planes > 0)
            {
                if (same) g.Device.Backend.Copy(g, dx);
                else g.Device.Backend.InterpolateBilinearBackward(g, dx, planes, h, w, outH, outW);
            }
            return [dx];
        });
    }
}
