using RobustSeg.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Colourised label maps with the data project's palettes (picked by DataConfig.Palette, or
/// Palettes.ForClasses when a run has no dataset).</summary>
public static class Palette
{
    public static Rgb24 Color(int index, byte[]? palette = null)
    {
        var p = palette ?? Palettes.Voc;
        int k = (index & 255) * 3;
        return new Rgb24(p[k], p[k + 1], p[k + 2]);
    }

    public static Image<Rgb24> Colourise(int[] labels, int h, int w, byte[]? palette = null)
    {
        var p = palette ?? Palettes.Voc;
        var img = new Image<Rgb24>(w, h);
        img.ProcessPixelRows(acc =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = acc.GetRowSpan(y);
                for (int x = 0; x < w; x++) row[x] = Color(labels[y * w + x], p);
            }
        });
        return img;
    }
}
