namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>2-D convolution, NCHW input, (K, C, kh, kw) weight, optional (K) bias; symmetric stride,
    /// padding and dilation; groups = 1. Backward computes only the gradients that are needed (an attack
    /// asking for d loss / d x alone never runs the weight-gradient GEMMs).</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0, int dilation = 1)
    {
        var g = Conv2dShape(x, weight, bias, stride, padding, dilation);
        if (LiveKernel(g) is { } live)
        {
            // Taps that read only padding add zeros: convolve with the live ones (their gradient flows back through
            // the narrows; the dead taps' is zero, as it would be).
            bool record = Autograd.ShouldRecord(x, weight, bias);
            var wRows = Narrow(weight, 2, live.Ki0, live.Kh);
            var wl = Narrow(wRows, 3, live.Kj0, live.Kw);
            if (!record) wRows.Dispose();
            var yl = Conv2d(x, wl, bias, stride, live.Pad, dilation);
            if (!record) wl.Dispose();   // inference frees its transients (the tape keeps them when recording)
            return yl;
        }
        var dev = x.Device;
        var y = Tensor.Empty(dev, g.N, g.K, g.Ho, g.Wo);
        dev.Backend.Conv2dForward(g, x, weight, bias, y);
        return Autograd.Record(y, "conv2d", [x, weight, bias], (gy, needs) =>
        {
            Tensor? dx = null, dw = null, db = null;
            if (needs[0])
            {
                dx = Tensor.Empty(dev, x.Shape);
                dev.Backend.Conv2dBackwardData(g, gy, weight, dx);
            }
            if (needs[1])
            {
                if (g.N == 0) dw = Tensor.Zeros(dev, weight.Shape); // an empty batch contributes nothing
                else
                {
                    dw = Tensor.Empty(dev, weight.Shape);
                    dev.Backend.Conv2dBackwardWeight(g, x, gy, dw);
                }
            }
            if (needs.Length > 2 && needs[2]) db = SumChannels(gy, null);
            return [dx, dw, db];
        });
    }

    /// <summary>The taps that read the image, as a smaller kernel with less padding and the same output, when some
    /// taps read nothing but padding (a dilation as large as the map: DeepLabV3's rate-36 ASPP branch on a 29x29 map
    /// reads only its centre, 1/9 of the work); null when every tap is live, none is, or the live ones would need
    /// different padding per side or per axis.</summary>
    static (int Ki0, int Kh, int Kj0, int Kw, int Pad)? LiveKernel(in Conv2dGeom g)
    {
        var (h0, h1) = LiveTaps(g.H, g.Ho, g.Kh, g.Stride, g.Pad, g.Dil);
        var (w0, w1) = LiveTaps(g.W, g.Wo, g.Kw, g.Stride, g.Pad, g.Dil);
        if (h0 > h1 || w0 > w1 || (h0 == 0 && h1 == g.Kh - 1 && w0 == 0 && w1 == g.Kw - 1)) return null;
        int pad = g.Pad - h0 * g.Dil, kh = h1 - h0 + 1, kw = w1 - w0 + 1;
        if (g.Pad - w0 * g.Dil != pad || pad < 0) return null;
        if (Conv2dGeom.OutSize(g.H, kh, g.Stride, pad, g.Dil) != g.Ho || Conv2dGeom.OutSize(g.W, kw, g.Stride, pad, g.Dil) != g.Wo) return null;
        return (h0, kh, w0, kw, pad);
    }

    /// <summary>First and last tap t along one axis whose input positions o*stride - pad + t*dil (o &lt; outSize) meet
    /// [0, size); dead taps can only be at the ends (positions grow with t).</summary>
    static (int Lo, int Hi) LiveTaps(int size, int outSize, int k, int stride, int pad, int dil)
    {
        bool Live(int t) => (outSize - 1) * stride - pad + t * dil >= 0 && t * dil - pad < size;
        int lo = 0, hi = k - 1;
        while (lo <= hi && !Live(lo)) lo++;
        while (hi >= lo && !Live(hi)) hi--;
        return (lo, hi);
    }

    /// <summary>Checks the operands and returns the geometry (output size ((H + 2p - d(kh-1) - 1)/s + 1)).</summary>
    public static Conv2dGeom Conv2dShape(Tensor x, Tensor w, Tensor? bias, int stride, int padding, int dilation)
    {
        Float(x, "conv2d"); Float(w, "conv2d", "weight");
        if (x.Rank != 4) throw new ArgumentException($"conv2d: input must be 4-D (N, C, H, W), got {x.ShapeString}");
        if (w.Rank != 4) throw new ArgumentException($"conv2d: weight must be 4-D (K, C, kh, kw), got {w.ShapeString}");
        if (w.Device != x.Device) throw new ArgumentException($"conv2d: input is on {x.Device.Name}, weight on {w.Device.Name}");
        if (w.Size(1) != x.Size(1))
            throw new ArgumentException($"conv2d: weight {w.ShapeString} expects {w.Size(1)} input channels, input {x.ShapeString} has {x.Size(1)} (groups = 1 only)");
        if (stride < 1) throw new ArgumentException($"conv2d: stride must be >= 1, got {stride}");
        if (padding < 0) throw new ArgumentException($"conv2d: padding must be >= 0, got {padding}");
        if (dilation < 1) throw new ArgumentException($"conv2d: dilation must be >= 1, got {dilation}");
        int k = w.Size(0), kh = w.Size(2), kw = w.Size(3);
        if (bias is not null)
        {
            Float(bias, "conv2d", "bias");
            if (bias.Rank != 1 || bias.Size(0) != k)
                throw new ArgumentException($"conv2d: bias must be ({k}) for weight {w.ShapeString}, got {bias.ShapeString}");
            if (bias.Device != x.Device) throw new ArgumentException($"conv2d: bias is on {bias.Device.Name}, input on {x.Device.Name}");
        }
        int h = x.Size(2), wd = x.Size(3);
        int ho = Conv2dGeom.OutSize(h, kh, stride, padding, dilation);
        int wo = Conv2dGeom.OutSize(wd, kw, stride, padding, dilation);
        if (h + 2 * padding < dilation * (kh - 1) + 1 || wd + 2 * padding < dilation * (kw - 1) + 1 || ho < 1 || wo < 1)
            throw new ArgumentException($"conv2d: input {x.ShapeString} padded by {padding} is smaller than the dilated kernel " +
                $"({dilation * (kh - 1) + 1}x{dilation * (kw - 1) + 1}, weight {w.ShapeString}, dilation {dilation})");
        return new Conv2dGeom(x.Size(0), x.Size(1), h, wd, k, kh, kw, stride, padding, dilation, ho, wo);
    }
}
