namespace RobustSeg.Data.Transforms;

/// <summary>semseg Resize: to a fixed (height, width); bilinear image, nearest label.</summary>
public sealed class Resize(int height, int width) : ISegTransform
{
    public int Height { get; } = height > 0 && width > 0 ? height : throw new ArgumentException($"Resize needs a positive size, got {height}x{width}");
    public int Width { get; } = width;

    public void Apply(Sample sample, IRandom rng)
    {
        double fy = (double)Height / sample.Height, fx = (double)Width / sample.Width;
        sample.Image = Resampling.ResizeBilinear(sample.Image, Height, Width, fy, fx);
        if (sample.Label is { } l) sample.Label = Resampling.ResizeNearest(l, Height, Width, fy, fx);
    }
}
