namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Host-side resizes and flips of planar (C,H,W) data used around inference, where no gradient
/// is needed. Bilinear follows OpenCV's INTER_LINEAR (half-pixel centres, edge clamped), which is what
/// semseg's test script uses, so resized inputs and probability maps match the original.</summary>
public static class HostImageOps
{
    public static float[] ResizeBilinear(float[] src, int channels, int h, int w, int outH, int outW)
    {
        if (src.Length != (long)channels * h * w) throw new ArgumentException($"resize: {src.Length} values for ({channels},{h},{w})");
        var dst = new float[(long)channels * outH * outW];
        if (h == outH && w == outW) { Array.Copy(src, dst, src.Length); return dst; }
        var (y0, y1, fy) = Taps(h, outH);
        var (x0, x1, fx) = Taps(w, outW);
        Parallel.For(0, channels * outH, row =>
        {
            int c = row / outH, oy = row % outH;
            long sb = (long)c * h * w, db = ((long)c * outH + oy) * outW;
            long r0 = sb + (long)y0[oy] * w, r1 = sb + (long)y1[oy] * w;
            float wy = fy[oy];
            for (int ox = 0; ox < outW; ox++)
            {
                float wx = fx[ox];
                float top = src[r0 + x0[ox]] * (1 - wx) + src[r0 + x1[ox]] * wx;
                float bot = src[r1 + x0[ox]] * (1 - wx) + src[r1 + x1[ox]] * wx;
                dst[db + ox] = top * (1 - wy) + bot * wy;
            }
        });
        return dst;
    }

    static (int[] I0, int[] I1, float[] Frac) Taps(int inSize, int outSize)
    {
        var i0 = new int[outSize]; var i1 = new int[outSize]; var f = new float[outSize];
        double scale = (double)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            double s = (o + 0.5) * scale - 0.5;
            if (s < 0) s = 0;
            int a = (int)Math.Floor(s);
            if (a > inSize - 1) a = inSize - 1;
            i0[o] = a; i1[o] = Math.Min(a + 1, inSize - 1); f[o] = (float)(s - a);
        }
        return (i0, i1, f);
    }

    /// <summary>Nearest-neighbour label resize (OpenCV INTER_NEAREST: src = floor(dst * in / out)).</summary>
    public static int[] ResizeNearest(int[] src, int h, int w, int outH, int outW)
    {
        var dst = new int[(long)outH * outW];
        for (int oy = 0; oy < outH; oy++)
        {
            int sy = Math.Min((int)((long)oy * h / outH), h - 1);
            for (int ox = 0; ox < outW; ox++)
                dst[oy * outW + ox] = src[sy * w + Math.Min((int)((long)ox * w / outW), w - 1)];
        }
        return dst;
    }

    /// <summary>Mirror of (C,H,W) planes along W.</summary>
    public static float[] FlipW(float[] src, int channels, int h, int w)
    {
        var dst = new float[src.Length];
        for (long r = 0; r < (long)channels * h; r++)
            for (int x = 0; x < w; x++) dst[r * w + x] = src[r * w + (w - 1 - x)];
        return dst;
    }

    /// <summary>Per-pixel argmax over channels of (C,H,W) (first on ties).</summary>
    public static int[] Argmax(float[] probs, int channels, int h, int w)
    {
        int s = h * w;
        var r = new int[s];
        for (int p = 0; p < s; p++)
        {
            int best = 0; float bv = probs[p];
            for (int c = 1; c < channels; c++) { float v = probs[(long)c * s + p]; if (v > bv) { bv = v; best = c; } }
            r[p] = best;
        }
        return r;
    }

    /// <summary>The (H, W) a long side of <paramref name="longSide"/> gives (semseg's rounding).</summary>
    public static (int H, int W) LongSideSize(int h, int w, int longSide)
    {
        if (h > w) return (longSide, (int)Math.Round(longSide / (double)h * w, MidpointRounding.ToEven));
        return ((int)Math.Round(longSide / (double)w * h, MidpointRounding.ToEven), longSide);
    }
}
