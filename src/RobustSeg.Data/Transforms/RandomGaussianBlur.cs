namespace RobustSeg.Data.Transforms;

/// <summary>semseg RandomGaussianBlur: with probability 0.5, cv2.GaussianBlur(image, (5, 5), 0); labels untouched.</summary>
public sealed class RandomGaussianBlur(double p = 0.5) : ISegTransform
{
    public double P { get; } = p;

    public void Apply(Sample sample, IRandom rng)
    {
        if (rng.NextDouble() < P) sample.Image = Resampling.GaussianBlur5(sample.Image);
    }
}
