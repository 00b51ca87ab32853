namespace RobustSeg.Data.Transforms;

/// <summary>The random draws a transform makes (python's random.random / random.randint).</summary>
public interface IRandom
{
    /// <summary>Uniform in [0, 1).</summary>
    double NextDouble();
    /// <summary>Uniform integer in [lo, hi], both inclusive (random.randint).</summary>
    int NextInt(int lo, int hi);
}
