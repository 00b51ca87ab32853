using RobustSeg.Engine;

namespace RobustSeg.Distributed;

/// <summary>DDP's gradient averaging: after the backward and before the optimizer step, every parameter's .Grad
/// becomes the mean over ranks. Gradients are packed into buckets of about <see cref="BucketBytes"/> on their
/// device (one collective per bucket instead of one per tensor), summed over ranks (host MPI zero-copy on the cpu
/// device, NCCL on cuda), scaled by 1/N and unpacked. The sum gives the same bytes on every rank (see
/// <see cref="MpiProcessGroup"/>), so the ranks' parameters never drift apart. A parameter without a gradient
/// on this rank counts as zeros (the pattern is the same on every rank for the models here).</summary>
public sealed class GradientAverager(IProcessGroup group, IReadOnlyList<Tensor> parameters, long bucketBytes = 25L << 20)
{
    public long BucketBytes { get; } = bucketBytes;

    public void Average()
    {
        if (group.WorldSize == 1) return;
        var bucket = new List<Tensor>();
        long bytes = 0;
        foreach (var p in parameters)
        {
            if (p.Grad is null || p.Grad.IsDisposed)
                using (Tensor.NoScope()) p.Grad = Tensor.Zeros(p.Device, p.Shape).Persist();
            bucket.Add(p.Grad);
            bytes += 4 * p.Numel;
            if (bytes >= BucketBytes) { Flush(bucket); bucket.Clear(); bytes = 0; }
        }
        if (bucket.Count > 0) Flush(bucket);
    }

    void Flush(List<Tensor> grads)
    {
        using var ng = Autograd.NoGrad();
        using var scope = Tensor.Scope();
        var flat = F.Cat(grads.Select(g => g.ViewAs((int)g.Numel)).ToArray(), 0);
        group.AllReduceSum(flat);
        var mean = F.MulScalar(flat, 1f / group.WorldSize);
        long off = 0;
        foreach (var g in grads)
        {
            g.CopyFrom(F.Narrow(mean, 0, (int)off, (int)g.Numel));
            off += g.Numel;
        }
    }
}
