namespace RobustSeg.Data.Transforms;

public enum CropType { Center, Random }

/// <summary>semseg Crop: when smaller than (cropH, cropW) the sample is first padded (pad/2 before, the rest
/// after; image with the padding colour, label with the ignore label); then a random (randint, both ends
/// inclusive) or centred (int((h - ch) / 2)) window is cut.</summary>
public sealed class Crop : ISegTransform
{
    public int CropHeight { get; }
    public int CropWidth { get; }
    public CropType Type { get; }
    public float[]? Padding { get; }
    public byte IgnoreLabel { get; }

    public Crop(int cropHeight, int cropWidth, CropType type = CropType.Center, float[]? padding = null, byte ignoreLabel = 255)
    {
        if (cropHeight <= 0 || cropWidth <= 0) throw new ArgumentException($"Crop needs a positive size, got {cropHeight}x{cropWidth}");
        if (padding is not null && padding.Length != 3) throw new ArgumentException("Crop padding must have 3 values (R, G, B)");
        CropHeight = cropHeight; CropWidth = cropWidth; Type = type; Padding = padding; IgnoreLabel = ignoreLabel;
    }

    public void Apply(Sample sample, IRandom rng)
    {
        int h = sample.Height, w = sample.Width;
        int padH = Math.Max(CropHeight - h, 0), padW = Math.Max(CropWidth - w, 0);
        if (padH > 0 || padW > 0)
        {
            if (Padding is null) throw new InvalidOperationException($"Crop: image {w}x{h} is smaller than the crop {CropWidth}x{CropHeight} and no padding value was given");
            int top = padH / 2, left = padW / 2;
            sample.Image = Pad(sample.Image, top, padH - top, left, padW - left, Padding);
            if (sample.Label is { } l) sample.Label = Pad(l, top, padH - top, left, padW - left, IgnoreLabel);
            h = sample.Height; w = sample.Width;
        }
        int hOff, wOff;
        if (Type == CropType.Random)
        {
            hOff = rng.NextInt(0, h - CropHeight);
            wOff = rng.NextInt(0, w - CropWidth);
        }
        else
        {
            hOff = (h - CropHeight) / 2;
            wOff = (w - CropWidth) / 2;
        }
        sample.Image = Cut(sample.Image, hOff, wOff, CropHeight, CropWidth);
        if (sample.Label is { } lab) sample.Label = Cut(lab, hOff, wOff, CropHeight, CropWidth);
    }

    public static RgbImage Pad(RgbImage src, int top, int bottom, int left, int right, float[] value)
    {
        var dst = RgbImage.Filled(src.Height + top + bottom, src.Width + left + right, value[0], value[1], value[2]);
        for (int y = 0; y < src.Height; y++)
            Array.Copy(src.Data, (long)y * src.Width * 3, dst.Data, ((long)(y + top) * dst.Width + left) * 3, (long)src.Width * 3);
        return dst;
    }

    public static LabelMap Pad(LabelMap src, int top, int bottom, int left, int right, byte value)
    {
        var dst = new LabelMap(src.Height + top + bottom, src.Width + left + right);
        Array.Fill(dst.Data, value);
        for (int y = 0; y < src.Height; y++)
            Array.Copy(src.Data, (long)y * src.Width, dst.Data, (long)(y + top) * dst.Width + left, src.Width);
        return dst;
    }

    public static RgbImage Cut(RgbImage src, int y0, int x0, int h, int w)
    {
        var dst = new RgbImage(h, w);
        for (int y = 0; y < h; y++)
            Array.Copy(src.Data, ((long)(y + y0) * src.Width + x0) * 3, dst.Data, (long)y * w * 3, (long)w * 3);
        return dst;
    }

    public static LabelMap Cut(LabelMap src, int y0, int x0, int h, int w)
    {
        var dst = new LabelMap(h, w);
        for (int y = 0; y < h; y++)
            Array.Copy(src.Data, (long)(y + y0) * src.Width + x0, dst.Data, (long)y * w, w);
        return dst;
    }
}
