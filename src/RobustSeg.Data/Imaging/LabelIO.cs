namespace RobustSeg.Data;

/// <summary>Label and prediction files: read as class indices, write as palette PNGs.</summary>
public static class LabelIO
{
    /// <summary>Reads a label PNG as indices, then maps them through <paramref name="lut"/> when given.</summary>
    public static LabelMap Read(string path, long maxPixels = ImageIO.DefaultMaxPixels, byte[]? lut = null)
    {
        var labels = PngLabelReader.Read(path, maxPixels);
        return lut is null ? labels : labels.Map(lut);
    }

    /// <summary>Writes a prediction / label as an 8-bit palette PNG (VOC palette unless given).</summary>
    public static void WritePrediction(string path, LabelMap labels, byte[]? palette = null) =>
        PngLabelWriter.WritePalette(path, labels, palette ?? Palettes.Voc);

    /// <summary>Writes predictions given as int class ids (e.g. an argmax tensor's data), H*W row-major.</summary>
    public static void WritePrediction(string path, int[] classes, int height, int width, byte[]? palette = null)
    {
        if (classes.Length != height * width) throw new ArgumentException($"prediction has {classes.Length} values, expected {height}x{width}");
        var map = new LabelMap(height, width);
        for (int i = 0; i < classes.Length; i++)
        {
            int c = classes[i];
            if (c is < 0 or > 255) throw new ArgumentException($"class id {c} at pixel {i} does not fit a PNG index (0..255)");
            map.Data[i] = (byte)c;
        }
        WritePrediction(path, map, palette);
    }
}
