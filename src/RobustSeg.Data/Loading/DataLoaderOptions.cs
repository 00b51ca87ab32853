using RobustSeg.Data.Transforms;

namespace RobustSeg.Data;

public sealed class DataLoaderOptions
{
    public int BatchSize { get; init; } = 1;
    /// <summary>Reshuffle every epoch from (Seed, epoch).</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Drop the last incomplete batch (semseg trains with drop_last=True).</summary>
    public bool DropLast { get; init; } = true;
    /// <summary>Background workers decoding and augmenting; 0 = everything on the consuming thread.</summary>
    public int Workers { get; init; } = Math.Max(1, Math.Min(4, Environment.ProcessorCount - 1));
    /// <summary>Batches prepared ahead of the consumer (bounds memory).</summary>
    public int Prefetch { get; init; } = 3;
    public ulong Seed { get; init; }
    public PixelScale Pixels { get; init; } = PixelScale.Raw255;
    /// <summary>Data-parallel runs: given the dataset indices of a whole (global) batch, the ones this process
    /// loads, in its batch order. Batches it leaves empty are skipped. Null: the whole batch.</summary>
    public Func<int[], int[]>? Shard { get; init; }
}
