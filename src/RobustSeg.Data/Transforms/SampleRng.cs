namespace RobustSeg.Data.Transforms;

/// <summary>A small deterministic generator (SplitMix64 seeding xoshiro256**). Each sample's stream is derived
/// from (seed, epoch, index) so augmentation does not depend on which worker handles it or in what order.</summary>
public sealed class SampleRng : IRandom
{
    ulong _s0, _s1, _s2, _s3;

    public SampleRng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>The stream of one sample in one epoch.</summary>
    public static SampleRng For(ulong seed, long epoch, long index) => new(Mix(seed, (ulong)epoch, (ulong)index));

    /// <summary>Hashes several values into one seed (order matters).</summary>
    public static ulong Mix(ulong a, ulong b, ulong c = 0)
    {
        ulong x = a;
        ulong h = SplitMix(ref x);
        x = h ^ b; h = SplitMix(ref x);
        x = h ^ c; return SplitMix(ref x);
    }

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public int NextInt(int lo, int hi)
    {
        if (hi < lo) throw new ArgumentException($"empty range [{lo}, {hi}]");
        ulong span = (ulong)((long)hi - lo + 1);
        return (int)(lo + (long)(NextULong() % span));
    }

    /// <summary>Standard normal (Box-Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fisher-Yates permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = NextInt(0, i);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
