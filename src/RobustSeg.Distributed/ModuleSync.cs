using RobustSeg.Engine;
using RobustSeg.Nn;

namespace RobustSeg.Distributed;

/// <summary>Makes every rank's model rank 0's (DDP's start, and after a resume): parameters and float buffers
/// (batch-norm running statistics) broadcast from rank 0; int buffers (num_batches_tracked) are counters every
/// rank advances alike. With sync_bn, every BatchNorm2d reduces its training statistics over the ranks.</summary>
public static class ModuleSync
{
    public static void BroadcastFromRoot(Module model, IProcessGroup group)
    {
        if (group.WorldSize == 1) return;
        foreach (var (_, t) in model.NamedParameters().Concat(model.NamedBuffers()))
            if (t.DType == DType.Float32) group.Broadcast(t, 0);
    }

    /// <summary>Attaches (or with <paramref name="on"/> false detaches) the cross-rank statistics of
    /// <see cref="SyncBatchNorm"/> to every BatchNorm2d; a no-op with one rank.</summary>
    public static int SyncBatchNorms(Module model, IProcessGroup group, bool on = true)
    {
        int n = 0;
        var sync = on && group.WorldSize > 1 ? new ProcessGroupBatchNormSync(group) : null;
        foreach (var (_, m) in model.NamedModules())
            if (m is BatchNorm2d bn) { bn.Sync = sync; n++; }
        return sync is null ? 0 : n;
    }
}

/// <summary>The process group as <see cref="IBatchNormSync"/>.</summary>
public sealed class ProcessGroupBatchNormSync(IProcessGroup group) : IBatchNormSync
{
    public void SumInPlace(Tensor t) => group.AllReduceSum(t);
}
