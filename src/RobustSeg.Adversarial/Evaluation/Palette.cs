using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Colours for label maps. Local minimal helper (the data project's palette helpers were not in
/// main when this was written): the PASCAL VOC colour map (bit-interleaved class index), which VOC
/// labels use; index 255 is drawn white-ish (224,224,192) as in VOC's boundary colour.</summary>
public static class Palette
{
    public static Rgb24 Color(int index)
    {
        if (index == 255) return new Rgb24(224, 224, 192);
        int r = 0, g = 0, b = 0, c = index;
        for (int j = 0; j < 8; j++)
        {
            r |= ((c >> 0) & 1) << (7 - j);
            g |= ((c >> 1) & 1) << (7 - j);
            b |= ((c >> 2) & 1) << (7 - j);
            c >>= 3;
        }
        return new Rgb24((byte)r, (byte)g, (byte)b);
    }

    public static Image<Rgb24> Colourise(int[] labels, int h, int w)
    {
        var img = new Image<Rgb24>(w, h);
        img.ProcessPixelRows(acc =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = acc.GetRowSpan(y);
                for (int x = 0; x < w; x++) row[x] = Color(labels[y * w + x]);
            }
        });
        return img;
    }
}
