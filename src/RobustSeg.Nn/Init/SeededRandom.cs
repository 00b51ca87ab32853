namespace RobustSeg.Nn;

/// <summary>Deterministic generator for weight init (SplitMix64 + Box-Muller): the same seed gives the same
/// weights on every machine and .NET version, unlike System.Random's unspecified algorithm.</summary>
public sealed class SeededRandom(ulong seed)
{
    ulong _state = seed;
    double? _spare;

    public ulong NextULong()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public double NextNormal()
    {
        if (_spare is double s) { _spare = null; return s; }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2 * Math.PI * u2);
        _spare = r * sin;
        return r * cos;
    }

    /// <summary>A child generator for an independent stream (one per layer, so adding a layer does not
    /// shift the others' weights).</summary>
    public SeededRandom Fork() => new(NextULong());
}
