namespace RobustSeg.Engine.Reference;

/// <summary>Double-precision bilinear resize (align_corners=True) of (P, H, W) planes: the definition,
/// written as the four-tap formula (independent of the separable host path).</summary>
public static class InterpolateReference
{
    public static double[] Bilinear(double[] x, int planes, int h, int w, int outH, int outW)
    {
        var y = new double[(long)planes * outH * outW];
        double sh = outH > 1 ? (h - 1.0) / (outH - 1) : 0, sw = outW > 1 ? (w - 1.0) / (outW - 1) : 0;
        for (int p = 0; p < planes; p++)
        for (int oh = 0; oh < outH; oh++)
        {
            double srcH = oh * sh;
            int h0 = Math.Min((int)Math.Floor(srcH), h - 1), h1 = Math.Min(h0 + 1, h - 1);
            double lh = srcH - h0;
            for (int ow = 0; ow < outW; ow++)
            {
                double srcW = ow * sw;
                int w0 = Math.Min((int)Math.Floor(srcW), w - 1), w1 = Math.Min(w0 + 1, w - 1);
                double lw = srcW - w0;
                double At(int r, int c) => x[((long)p * h + r) * w + c];
                y[((long)p * outH + oh) * outW + ow] =
                    (1 - lh) * ((1 - lw) * At(h0, w0) + lw * At(h0, w1)) + lh * ((1 - lw) * At(h1, w0) + lw * At(h1, w1));
            }
        }
        return y;
    }
}
