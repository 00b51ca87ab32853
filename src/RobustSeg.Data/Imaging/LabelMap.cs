namespace RobustSeg.Data;

/// <summary>A label image of class indices (0..254 classes, 255 = ignore), row-major HW.</summary>
public sealed class LabelMap
{
    public const byte Ignore = 255;
    public int Height { get; }
    public int Width { get; }
    public byte[] Data { get; }

    public LabelMap(int height, int width, byte[]? data = null)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"label size must be positive, got {height}x{width}");
        Height = height;
        Width = width;
        Data = data ?? new byte[(long)height * width];
        if (Data.LongLength != (long)height * width)
            throw new ArgumentException($"label data has {Data.Length} bytes, expected {height}x{width}");
    }

    public byte this[int y, int x]
    {
        get => Data[(long)y * Width + x];
        set => Data[(long)y * Width + x] = value;
    }

    /// <summary>Applies a 256-entry lookup table (e.g. Cityscapes labelIds to trainIds) in place.</summary>
    public LabelMap Map(byte[] lut)
    {
        if (lut.Length != 256) throw new ArgumentException("label lookup table must have 256 entries");
        for (long i = 0; i < Data.LongLength; i++) Data[i] = lut[Data[i]];
        return this;
    }
}
