namespace RobustSeg.Data.Transforms;

/// <summary>semseg RandomHorizontalFlip: with probability p, mirror image and label left-right.</summary>
public sealed class RandomHorizontalFlip(double p = 0.5) : ISegTransform
{
    public double P { get; } = p;

    public void Apply(Sample sample, IRandom rng)
    {
        if (!(rng.NextDouble() < P)) return;
        sample.Image = Flip(sample.Image);
        if (sample.Label is { } l) sample.Label = Flip(l);
    }

    public static RgbImage Flip(RgbImage src)
    {
        int h = src.Height, w = src.Width;
        var dst = new RgbImage(h, w);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                long a = ((long)y * w + x) * 3, b = ((long)y * w + (w - 1 - x)) * 3;
                dst.Data[a] = src.Data[b]; dst.Data[a + 1] = src.Data[b + 1]; dst.Data[a + 2] = src.Data[b + 2];
            }
        return dst;
    }

    public static LabelMap Flip(LabelMap src)
    {
        int h = src.Height, w = src.Width;
        var dst = new LabelMap(h, w);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) dst.Data[(long)y * w + x] = src.Data[(long)y * w + (w - 1 - x)];
        return dst;
    }
}
