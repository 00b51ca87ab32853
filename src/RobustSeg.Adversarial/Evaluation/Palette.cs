using RobustSeg.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Colourised label maps with the data project's palettes (VOC's colour map by default,
/// Cityscapes' trainId colours for 19-class runs).</summary>
public static class Palette
{
    /// <summary>The palette for a class count: Cityscapes for 19 classes, VOC otherwise.</summary>
    public static byte[] ForClasses(int classes) => classes == 19 ? Palettes.Cityscapes : Palettes.Voc;

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
