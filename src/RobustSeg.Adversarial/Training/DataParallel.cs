using RobustSeg.Config;
using RobustSeg.Distributed;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Training;

/// <summary>What data-parallel training adds to a Trainer (DESIGN section 8, PyTorch DDP with semseg's
/// conventions); with one process every method is a no-op and training is exactly the single-process run.
/// - the ranks must run the same code on the same config (<see cref="RunFingerprint"/>);
/// - TRAIN.batch_size is the global batch; rank r loads its <see cref="BatchShard.Positions"/> of each global batch
///   of the shared shuffled order (SAT/DDC-AT: a slice of the clean half and the same slice of the adversarial half);
/// - parameters and buffers come from rank 0 (start, resume); sync_bn reduces batch-norm statistics;
/// - the label losses (main + aux, mean over non-ignored pixels) are scaled by N * local / global valid pixels, so the
///   mean of the ranks' gradients is the gradient of the GLOBAL batch's loss, exactly the one-process objective
///   (PyTorch DDP averages per-rank means instead; they agree when every rank has as many valid pixels); the mask
///   loss of DDC-AT is a mean over equally many pixels on every rank and needs no scale;
/// - gradients are averaged in buckets before the SGD step; dropout draws the global batch's mask rows;
/// - the logged record is the global batch's (losses weighted by valid pixels, DDC-AT shares averaged).</summary>
public sealed class DataParallel
{
    public IProcessGroup Group { get; }
    public bool IsMain => Group.Rank == 0;
    public int World => Group.WorldSize;
    GradientAverager? _grads;
    double _localValid, _globalValid;

    public DataParallel(IProcessGroup? group)
    {
        group ??= SingleProcessGroup.Instance;
        Group = group.WorldSize > 1 ? _timed = new TimedProcessGroup(group) : group;
    }

    readonly TimedProcessGroup? _timed;

    /// <summary>Positions of this rank's samples in a global batch (null with one process).</summary>
    public int[]? Positions(TrainSection t) =>
        World == 1 ? null : BatchShard.Positions(t.BatchSize, Group.Rank, World, t.Regime != Regime.NoDefense);

    /// <summary>The loader hook that takes this rank's samples of each global batch.</summary>
    public Func<int[], int[]>? Shard(TrainSection t)
    {
        var pos = Positions(t);
        return pos is null ? null : idx => pos.Select(p => idx[p]).ToArray();
    }

    public void CheckSameRun(RunConfig cfg) => RunFingerprint.Check(Group,
        RunFingerprint.Of(cfg.ToYaml(), [typeof(DataParallel).Assembly, typeof(ModelFactory).Assembly, typeof(Tensor).Assembly,
            typeof(RunConfig).Assembly, typeof(Data.DataLoader).Assembly, typeof(Nn.Module).Assembly, typeof(IProcessGroup).Assembly]),
        "config or code version");

    /// <summary>After the model is built or resumed: rank 0's weights everywhere, sync_bn, the step's hooks.</summary>
    public void Attach(SegmentationModel model, TrainStep step, TrainSection t)
    {
        if (World == 1) return;
        ModuleSync.BroadcastFromRoot(model, Group);
        ModuleSync.SyncBatchNorms(model, Group, t.SyncBn);
        _grads = new GradientAverager(Group, model.Parameters().ToList());
        step.BeforeOptimizerStep = _grads.Average;
        step.SamplePositions = Positions(t);
    }

    /// <summary>Seconds this rank spent in collectives so far (gradients, sync_bn, logging; waits for slower
    /// ranks included).</summary>
    public double CommSeconds => _timed?.Seconds ?? 0;

    /// <summary>Before each step: the label-loss scale from this rank's and the global count of valid pixels.</summary>
    public void BeforeStep(TrainStep step, Tensor labels, int ignoreLabel)
    {
        if (World == 1) return;
        using var scope = Tensor.Scope();
        using var ng = Autograd.NoGrad();
        _localValid = F.Sum(F.ToFloat(F.NotEqual(labels, Tensor.FullInt(labels.Device, ignoreLabel, labels.Shape)))).Item();
        Span<double> v = [_localValid];
        Group.AllReduceSum(v);
        _globalValid = v[0];
        step.LabelLossScale = _globalValid == 0 ? 1f : (float)(World * _localValid / _globalValid);
    }

    /// <summary>The global batch's record from every rank's (every rank gets the same).</summary>
    public IterationRecord Reduce(IterationRecord r, double auxWeight)
    {
        if (World == 1) return r;
        double w = _globalValid == 0 ? 1.0 / World : _localValid / _globalValid;
        Span<double> v = [r.MainLoss * w, r.AuxLoss * w, r.PixelAccuracy * w, r.MaskLoss / World, r.RoutedFraction / World,
            r.MaskTargetOnes / World, r.RoutedClean / World, r.RoutedAdv / World];
        Group.AllReduceSum(v);
        return r with
        {
            MainLoss = v[0], AuxLoss = v[1], PixelAccuracy = v[2], MaskLoss = v[3], RoutedFraction = v[4],
            MaskTargetOnes = v[5], RoutedClean = v[6], RoutedAdv = v[7], TotalLoss = v[0] + auxWeight * v[1] + v[3],
        };
    }

    /// <summary>Every rank waits here (after rank 0 wrote a checkpoint, so none runs ahead of a failed save).</summary>
    public void Barrier() { if (World > 1) Group.Barrier(); }
}
