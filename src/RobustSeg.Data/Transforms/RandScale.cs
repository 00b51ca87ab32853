namespace RobustSeg.Data.Transforms;

/// <summary>semseg RandScale: s ~ U(scaleMin, scaleMax); optional aspect a ~ U(aspectMin, aspectMax), used as
/// sqrt(a); fx = s*sqrt(a), fy = s/sqrt(a); bilinear image, nearest label (cv2.resize with fx, fy).</summary>
public sealed class RandScale : ISegTransform
{
    public double ScaleMin { get; }
    public double ScaleMax { get; }
    public (double Min, double Max)? Aspect { get; }

    public RandScale(double scaleMin, double scaleMax, (double Min, double Max)? aspect = null)
    {
        if (!(scaleMin > 0 && scaleMin <= scaleMax)) throw new ArgumentException($"RandScale needs 0 < scale_min <= scale_max, got [{scaleMin}, {scaleMax}]");
        if (aspect is { } a && !(a.Min > 0 && a.Min <= a.Max)) throw new ArgumentException($"RandScale needs 0 < aspect_min <= aspect_max, got [{a.Min}, {a.Max}]");
        ScaleMin = scaleMin; ScaleMax = scaleMax; Aspect = aspect;
    }

    public void Apply(Sample sample, IRandom rng)
    {
        double scale = ScaleMin + (ScaleMax - ScaleMin) * rng.NextDouble();
        double aspect = 1.0;
        if (Aspect is { } a) aspect = Math.Sqrt(a.Min + (a.Max - a.Min) * rng.NextDouble());
        double fx = scale * aspect, fy = scale / aspect;
        int outW = Resampling.ScaledSize(sample.Width, fx), outH = Resampling.ScaledSize(sample.Height, fy);
        sample.Image = Resampling.ResizeBilinear(sample.Image, outH, outW, fy, fx);
        if (sample.Label is { } l) sample.Label = Resampling.ResizeNearest(l, outH, outW, fy, fx);
    }
}
