using RobustSeg.Engine.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>PNG outputs, written atomically (temp file, then rename).</summary>
public static class ImageFiles
{
    public static void SavePng(Image<Rgb24> img, string path) => AtomicFile.Write(path, s => img.SaveAsPng(s));

    /// <summary>Planar (3,H,W) values in [0,1] as an RGB image.</summary>
    public static Image<Rgb24> FromPlanar01(float[] chw, int h, int w)
    {
        var img = new Image<Rgb24>(w, h);
        int s = h * w;
        img.ProcessPixelRows(acc =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = acc.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    int p = y * w + x;
                    row[x] = new Rgb24(B(chw[p]), B(chw[s + p]), B(chw[2 * s + p]));
                }
            }
        });
        return img;
    }

    /// <summary>A perturbation amplified to the visible range: 0.5 + 0.5 * delta / scale per channel
    /// (scale = eps, or the largest |delta| when eps is 0), so -eps is black and +eps white.</summary>
    public static Image<Rgb24> Perturbation(float[] adv, float[] clean, int h, int w, float eps)
    {
        var d = new float[adv.Length];
        float m = 0;
        for (int i = 0; i < d.Length; i++) { d[i] = adv[i] - clean[i]; m = Math.Max(m, Math.Abs(d[i])); }
        float scale = eps > 0 ? eps : (m > 0 ? m : 1f);
        for (int i = 0; i < d.Length; i++) d[i] = 0.5f + 0.5f * d[i] / scale;
        return FromPlanar01(d, h, w);
    }

    /// <summary>A non-negative (H,W) map scaled by its maximum to grey levels.</summary>
    public static Image<Rgb24> Magnitude(float[] map, int h, int w)
    {
        float m = 0;
        foreach (var v in map) m = Math.Max(m, v);
        var img = new Image<Rgb24>(w, h);
        img.ProcessPixelRows(acc =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = acc.GetRowSpan(y);
                for (int x = 0; x < w; x++) { var b = B(m > 0 ? map[y * w + x] / m : 0f); row[x] = new Rgb24(b, b, b); }
            }
        });
        return img;
    }

    static byte B(float v) => (byte)Math.Clamp((int)MathF.Round(v * 255f), 0, 255);
}
