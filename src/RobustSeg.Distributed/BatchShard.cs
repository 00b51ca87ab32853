namespace RobustSeg.Distributed;

/// <summary>Which samples a rank takes. Training (DistributedSampler with drop_last, semseg's global batch): all
/// ranks draw the same shuffled order, global batch k is order[kB, (k+1)B), and rank r takes B/N of its
/// positions. For a half-and-half regime (SAT, DDC-AT: first half clean, second half adversarial) rank r takes
/// the r-th slice of the clean half AND the r-th slice of the adversarial half, so its local batch is itself half
/// clean, half adversarial (as each rank of the original's DDP splits its own batch) and the global batch has the
/// same clean and adversarial samples as one process with the whole batch. Evaluation: rank r takes images
/// r, r+N, r+2N, ... of the list.</summary>
public static class BatchShard
{
    /// <summary>Positions in a global batch of <paramref name="globalBatch"/> that <paramref name="rank"/> takes,
    /// in its local batch order (clean slice first, then adversarial slice, for <paramref name="halves"/>).</summary>
    public static int[] Positions(int globalBatch, int rank, int world, bool halves)
    {
        if (world < 1 || (uint)rank >= (uint)world) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {world}");
        int unit = halves ? 2 * world : world;
        if (globalBatch % unit != 0)
            throw new ArgumentException(halves
                ? $"TRAIN.batch_size {globalBatch} (the global batch) must split into a clean and an adversarial half on each of {world} ranks: use a multiple of {unit}"
                : $"TRAIN.batch_size {globalBatch} (the global batch) must be divisible by the {world} ranks");
        int local = globalBatch / world;
        if (!halves) return Enumerable.Range(rank * local, local).ToArray();
        int h = local / 2, half = globalBatch / 2;
        return Enumerable.Range(rank * h, h).Concat(Enumerable.Range(half + rank * h, h)).ToArray();
    }

    /// <summary>True when image <paramref name="index"/> of a list belongs to <paramref name="rank"/>.</summary>
    public static bool Owns(int index, int rank, int world) => index % world == rank;

    /// <summary>How many of the first <paramref name="count"/> images <paramref name="rank"/> owns.</summary>
    public static int OwnedCount(int count, int rank, int world) => count <= rank ? 0 : (count - rank + world - 1) / world;
}
