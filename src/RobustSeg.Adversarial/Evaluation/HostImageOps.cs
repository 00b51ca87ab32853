using RobustSeg.Data.Transforms;
namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Host-side resizes and flips of planar (C,H,W) data used around inference, where no gradient
/// is needed. The resizes are the data transforms' OpenCV implementations (<see cref="Resampling"/>), so
/// training and test resize images the same way semseg does.</summary>
public static class HostImageOps
{
    /// <summary>OpenCV INTER_LINEAR resize of planar data: the data project's one implementation.</summary>
    public static float[] ResizeBilinear(float[] src, int channels, int h, int w, int outH, int outW) =>
        Resampling.ResizeBilinearPlanar(src, channels, h, w, outH, outW);

    /// <summary>OpenCV INTER_NEAREST label resize: the data project's one implementation.</summary>
    public static int[] ResizeNearest(int[] src, int h, int w, int outH, int outW) =>
        Resampling.ResizeNearestPlane(src, h, w, outH, outW);

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
