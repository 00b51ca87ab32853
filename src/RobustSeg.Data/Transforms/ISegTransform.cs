namespace RobustSeg.Data.Transforms;

/// <summary>A semseg transform: replaces the sample's image / label (label may be null for inference).</summary>
public interface ISegTransform
{
    void Apply(Sample sample, IRandom rng);
}

/// <summary>Applies transforms in order (semseg's transform.Compose).</summary>
public sealed class Compose(params ISegTransform[] transforms) : ISegTransform
{
    public IReadOnlyList<ISegTransform> Transforms { get; } = transforms;

    public void Apply(Sample sample, IRandom rng)
    {
        foreach (var t in Transforms) t.Apply(sample, rng);
    }
}
