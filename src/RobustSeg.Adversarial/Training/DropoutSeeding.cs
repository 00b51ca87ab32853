using RobustSeg.Nn;

namespace RobustSeg.Adversarial.Training;

/// <summary>Gives every Dropout2d the explicit mask seed of this iteration: a function of (seed, iteration,
/// module index) only, so a resumed run draws the same masks as an uninterrupted one.</summary>
public static class DropoutSeeding
{
    /// <summary><paramref name="samplePositions"/>: where the local samples sit in the global batch (data-parallel
    /// training), so each sample gets the mask it would get with one process; null: the whole batch is local.</summary>
    public static void Apply(Module model, ulong seed, long iteration, IReadOnlyList<int>? samplePositions = null)
    {
        int i = 0;
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is not Dropout2d d) continue;
            d.StepSeed = Mix(seed, (ulong)iteration, (ulong)i++);
            d.SamplePositions = samplePositions;
        }
    }

    static ulong Mix(ulong a, ulong b, ulong c)
    {
        ulong h = unchecked(a * 0xD6E8FEB86659FD93UL ^ (b + 0x632BE59BD9B4E019UL) * 0x9E3779B97F4A7C15UL ^ c * 0xBF58476D1CE4E5B9UL);
        h ^= h >> 31; h = unchecked(h * 0x94D049BB133111EBUL); h ^= h >> 29;
        return h;
    }
}
