using RobustSeg.Nn;

namespace RobustSeg.Adversarial.Training;

/// <summary>Makes every Dropout2d mask a function of (seed, iteration, module index) only, so a resumed run draws
/// the same masks as an uninterrupted one. Dropout2d derives its mask seed as Seed * K + Calls (Calls counts
/// training calls and is not settable), so Seed is chosen through K's inverse modulo 2^64 (K is odd).</summary>
public static class DropoutSeeding
{
    const ulong K = 0x9E3779B97F4A7C15UL;
    static readonly ulong KInv = Inverse(K);

    public static void Apply(Module model, ulong seed, long iteration)
    {
        int i = 0;
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is not Dropout2d d) continue;
            ulong target = Mix(seed, (ulong)iteration, (ulong)i++);
            d.Seed = unchecked((target - d.Calls) * KInv);
        }
    }

    static ulong Mix(ulong a, ulong b, ulong c)
    {
        ulong h = unchecked(a * 0xD6E8FEB86659FD93UL ^ (b + 0x632BE59BD9B4E019UL) * 0x9E3779B97F4A7C15UL ^ c * 0xBF58476D1CE4E5B9UL);
        h ^= h >> 31; h = unchecked(h * 0x94D049BB133111EBUL); h ^= h >> 29;
        return h;
    }

    // Newton iteration for the inverse of an odd number modulo 2^64.
    static ulong Inverse(ulong a)
    {
        ulong x = a;
        for (int i = 0; i < 6; i++) x = unchecked(x * (2 - a * x));
        return x;
    }
}
