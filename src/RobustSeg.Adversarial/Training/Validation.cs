using RobustSeg.Adversarial.Metrics;
using RobustSeg.Config;
using RobustSeg.Data;
using RobustSeg.Data.Transforms;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Training;

/// <summary>semseg's validation during training (`evaluate: True`): centre crops of the val list at train_h x
/// train_w, the deployed output in eval mode, intersection and union per class accumulated over the set
/// (ignore label excluded); mIoU and mAcc average every class with semseg's 1e-10 guard.</summary>
public static class Validation
{
    public sealed record Result(double Loss, double MIoU, double MAcc, double AllAcc, double[] IoU, double[] Acc);

    /// <summary><paramref name="group"/>: a data-parallel run's processes; each rank validates images r, r+N, ... of
    /// every batch and the counts are summed (mIoU, mAcc, allAcc exactly the one-process values; the loss is the
    /// mean over every rank's batches).</summary>
    public static Result Run(SegmentationModel model, RunConfig cfg, Device device, Distributed.IProcessGroup? group = null)
    {
        group ??= Distributed.SingleProcessGroup.Instance;
        int rank = group.Rank, world = group.WorldSize;
        var t = cfg.Train;
        var dc = DataConfig.From(cfg);
        if (dc.ValList is null || !File.Exists(dc.ValList)) throw new ConfigException($"{cfg.Source}: DATA.val_list: list file not found: {dc.ValList} (evaluate: True needs it)");
        var dataset = dc.Dataset("val");
        var loader = new DataLoader(dataset, SemsegTransforms.Val(t.TrainH, t.TrainW, (byte)t.IgnoreLabel), device,
            new DataLoaderOptions { BatchSize = t.BatchSizeVal, Shuffle = false, DropLast = false, Workers = t.Workers, Pixels = PixelScale.Unit,
                Shard = world == 1 ? null : idx => idx.Where((_, j) => Distributed.BatchShard.Owns(j, rank, world)).ToArray() });
        int k = cfg.Data.Classes;
        var acc = new SegMetricAccumulator(k, t.IgnoreLabel);
        double lossSum = 0; int batches = 0;
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            foreach (var b in loader.Epoch(0))
            {
                using (b)
                using (var scope = Tensor.Scope())
                using (Autograd.NoGrad())
                {
                    var logits = model.Run(Normalization.Normalize(b.Images)).Logits;
                    lossSum += F.CrossEntropy(logits, b.Labels!, t.IgnoreLabel).Item();
                    batches++;
                    var pred = F.Argmax(logits).ToIntArray();
                    var lab = b.Labels!.ToIntArray();
                    int per = lab.Length / b.Count;
                    for (int j = 0; j < b.Count; j++)
                        acc.Add(pred.AsSpan(j * per, per), lab.AsSpan(j * per, per), dataset.Entries[b.Indices[j]].LabelPath);
                }
            }
        }
        finally { model.Train(wasTraining); }
        if (world > 1)
        {
            foreach (var a in new[] { acc.Intersection, acc.Union, acc.Target, acc.Output }) group.AllReduceSum(a.AsSpan());
            Span<double> ls = [lossSum, batches];
            group.AllReduceSum(ls);
            (lossSum, batches) = (ls[0], (int)ls[1]);
        }
        var r = acc.Compute();
        return new Result(lossSum / Math.Max(1, batches), r.MeanIoU, r.MeanAccuracy, r.AllAccuracy, r.IoU, r.Accuracy);
    }
}
