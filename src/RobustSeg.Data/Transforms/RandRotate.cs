namespace RobustSeg.Data.Transforms;

/// <summary>semseg RandRotate: with probability p, angle ~ U(min, max) degrees about (w/2, h/2); the image is
/// warped bilinearly with the padding colour (the mean), the label with nearest and the ignore label.</summary>
public sealed class RandRotate : ISegTransform
{
    public double AngleMin { get; }
    public double AngleMax { get; }
    public float[] Padding { get; }
    public byte IgnoreLabel { get; }
    public double P { get; }

    public RandRotate(double angleMin, double angleMax, float[] padding, byte ignoreLabel = 255, double p = 0.5)
    {
        if (angleMin > angleMax) throw new ArgumentException($"RandRotate needs min <= max, got [{angleMin}, {angleMax}]");
        if (padding.Length != 3) throw new ArgumentException("RandRotate padding must have 3 values (R, G, B)");
        AngleMin = angleMin; AngleMax = angleMax; Padding = padding; IgnoreLabel = ignoreLabel; P = p;
    }

    public void Apply(Sample sample, IRandom rng)
    {
        if (!(rng.NextDouble() < P)) return;
        double angle = AngleMin + (AngleMax - AngleMin) * rng.NextDouble();
        int h = sample.Height, w = sample.Width;
        var m = Resampling.RotationMatrix(w / 2.0, h / 2.0, angle);
        sample.Image = Resampling.WarpAffineBilinear(sample.Image, m, h, w, Padding);
        if (sample.Label is { } l) sample.Label = Resampling.WarpAffineNearest(l, m, h, w, IgnoreLabel);
    }
}
