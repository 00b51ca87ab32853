namespace RobustSeg.Data;

/// <summary>An image and its (optional) label as they go through the transforms.</summary>
public sealed class Sample(RgbImage image, LabelMap? label)
{
    public RgbImage Image { get; set; } = image;
    public LabelMap? Label { get; set; } = label;
    public int Height => Image.Height;
    public int Width => Image.Width;
}
