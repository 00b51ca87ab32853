namespace RobustSeg.Data;

/// <summary>An RGB image as float pixels in HWC order (the layout semseg's transforms work on), values
/// normally 0..255. Transforms replace the whole image rather than mutate it, so arrays can be shared.</summary>
public sealed class RgbImage
{
    public const int Channels = 3;
    public int Height { get; }
    public int Width { get; }
    /// <summary>H*W*3 floats, row-major, channel innermost (R, G, B).</summary>
    public float[] Data { get; }

    public RgbImage(int height, int width, float[]? data = null)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"image size must be positive, got {height}x{width}");
        Height = height;
        Width = width;
        Data = data ?? new float[(long)height * width * Channels];
        if (Data.LongLength != (long)height * width * Channels)
            throw new ArgumentException($"image data has {Data.Length} floats, expected {height}x{width}x3 = {(long)height * width * 3}");
    }

    public float this[int y, int x, int c]
    {
        get => Data[((long)y * Width + x) * Channels + c];
        set => Data[((long)y * Width + x) * Channels + c] = value;
    }

    /// <summary>CHW copy (what ToTensor produces), optionally scaled.</summary>
    public float[] ToChw(float scale = 1f)
    {
        var outp = new float[Data.Length];
        WriteChw(outp, 0, scale);
        return outp;
    }

    /// <summary>Writes the image as CHW into <paramref name="dest"/> at <paramref name="offset"/>.</summary>
    public void WriteChw(float[] dest, long offset, float scale = 1f)
    {
        long plane = (long)Height * Width;
        for (long p = 0; p < plane; p++)
        {
            dest[offset + p] = Data[p * 3] * scale;
            dest[offset + plane + p] = Data[p * 3 + 1] * scale;
            dest[offset + 2 * plane + p] = Data[p * 3 + 2] * scale;
        }
    }

    public static RgbImage Filled(int height, int width, float r, float g, float b)
    {
        var img = new RgbImage(height, width);
        for (long p = 0; p < (long)height * width; p++) { img.Data[p * 3] = r; img.Data[p * 3 + 1] = g; img.Data[p * 3 + 2] = b; }
        return img;
    }
}
