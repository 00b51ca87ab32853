using RobustSeg.Data.Transforms;
using RobustSeg.Engine;

namespace RobustSeg.Data;

/// <summary>Batches of a dataset for one epoch: workers decode and augment whole batches ahead of the consumer
/// (at most <see cref="DataLoaderOptions.Prefetch"/> waiting), batches come out in order, and each sample's
/// randomness is SampleRng(seed, epoch, dataset index), so the numbers do not depend on the worker count or
/// scheduling. Tensors are created on the consuming thread (in its current tensor scope).</summary>
public sealed class DataLoader
{
    public SegDataset Dataset { get; }
    public ISegTransform? Transform { get; }
    public Device Device { get; }
    public DataLoaderOptions Options { get; }

    public DataLoader(SegDataset dataset, ISegTransform? transform, Device device, DataLoaderOptions options)
    {
        if (options.BatchSize < 1) throw new ArgumentException($"batch size must be at least 1, got {options.BatchSize}");
        if (options.Workers < 0) throw new ArgumentException($"workers must be >= 0, got {options.Workers}");
        if (options.Prefetch < 1) throw new ArgumentException($"prefetch must be at least 1, got {options.Prefetch}");
        Dataset = dataset; Transform = transform; Device = device; Options = options;
        if (BatchesPerEpoch == 0)
            throw new ArgumentException($"dataset has {dataset.Count} samples, fewer than one batch of {options.BatchSize} with drop_last");
    }

    public int BatchesPerEpoch => Options.DropLast ? Dataset.Count / Options.BatchSize : (Dataset.Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>The sample order of an epoch (a seeded permutation, or 0..n-1 without shuffling).</summary>
    public int[] Order(int epoch)
    {
        if (!Options.Shuffle) return Enumerable.Range(0, Dataset.Count).ToArray();
        return new SampleRng(SampleRng.Mix(Options.Seed, 0x5EED5EEDUL, (ulong)epoch)).Permutation(Dataset.Count);
    }

    /// <summary>Loads, augments and collates one sample list on the calling thread.</summary>
    public HostBatch BuildBatch(int[] indices, int epoch)
    {
        var samples = new Sample[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int idx = indices[i];
            try
            {
                var s = Dataset.Load(idx);
                Transform?.Apply(s, SampleRng.For(Options.Seed, epoch, idx));
                samples[i] = s;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new DataLoadException(Dataset.Entries[idx], idx, e);
            }
        }
        return HostBatch.Collate(samples, indices, Dataset, Options.Pixels);
    }

    /// <summary>The batches of <paramref name="epoch"/>. Dispose each batch (or let a tensor scope do it).
    /// A failing sample throws <see cref="DataLoadException"/> here, in the consuming loop.</summary>
    public IEnumerable<SegBatch> Epoch(int epoch)
    {
        var order = Order(epoch);
        int nb = BatchesPerEpoch, bs = Options.BatchSize;
        int[] BatchIndices(int b)
        {
            var all = order.AsSpan(b * bs, Math.Min(bs, order.Length - b * bs)).ToArray();
            return Options.Shard is { } shard ? shard(all) : all;
        }

        if (Options.Workers == 0)
        {
            for (int b = 0; b < nb; b++)
            {
                var idx = BatchIndices(b);
                if (idx.Length > 0) yield return BuildBatch(idx, epoch).ToDevice(Device);
            }
            yield break;
        }

        var slots = new TaskCompletionSource<HostBatch?>[nb];
        for (int b = 0; b < nb; b++) slots[b] = new TaskCompletionSource<HostBatch?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        using var window = new SemaphoreSlim(Options.Prefetch, Options.Prefetch);
        int next = -1;
        var workers = new Task[Math.Min(Options.Workers, nb)];
        for (int w = 0; w < workers.Length; w++)
            workers[w] = Task.Factory.StartNew(() =>
            {
                while (true)
                {
                    window.Wait(cts.Token);
                    int b = Interlocked.Increment(ref next);
                    if (b >= nb) return;
                    try { var idx = BatchIndices(b); slots[b].SetResult(idx.Length > 0 ? BuildBatch(idx, epoch) : null); }
                    catch (Exception e) { slots[b].SetException(e); }
                }
            }, cts.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            for (int b = 0; b < nb; b++)
            {
                var host = slots[b].Task.GetAwaiter().GetResult();
                window.Release();
                if (host is not null) yield return host.ToDevice(Device);
            }
        }
        finally
        {
            cts.Cancel();
            try { Task.WaitAll(workers); }
            catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException)) { }
        }
    }
}
