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

    public static Result Run(SegmentationModel model, RunConfig cfg, Device device)
    {
        var t = cfg.Train;
        var dc = DataConfig.From(cfg);
        if (dc.ValList is null || !File.Exists(dc.ValList)) throw new ConfigException($"{cfg.Source}: DATA.val_list: list file not found: {dc.ValList} (evaluate: True needs it)");
        var loader = new DataLoader(dc.Dataset("val"), SemsegTransforms.Val(t.TrainH, t.TrainW, (byte)t.IgnoreLabel), device,
            new DataLoaderOptions { BatchSize = t.BatchSizeVal, Shuffle = false, DropLast = false, Workers = t.Workers, Pixels = PixelScale.Unit });
        int k = cfg.Data.Classes;
        var inter = new long[k]; var union = new long[k]; var target = new long[k];
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
                    Accumulate(F.Argmax(logits).ToIntArray(), b.Labels!.ToIntArray(), k, t.IgnoreLabel, inter, union, target);
                }
            }
        }
        finally { model.Train(wasTraining); }
        var iou = new double[k]; var acc = new double[k];
        for (int c = 0; c < k; c++) { iou[c] = inter[c] / (union[c] + 1e-10); acc[c] = inter[c] / (target[c] + 1e-10); }
        return new Result(lossSum / Math.Max(1, batches), iou.Average(), acc.Average(), inter.Sum() / (target.Sum() + 1e-10), iou, acc);
    }

    /// <summary>semseg's intersectionAndUnion: predictions at ignored pixels do not count.</summary>
    public static void Accumulate(int[] pred, int[] label, int k, int ignore, long[] inter, long[] union, long[] target)
    {
        for (int i = 0; i < label.Length; i++)
        {
            int l = label[i];
            if (l == ignore || l < 0 || l >= k) continue;
            int p = pred[i];
            target[l]++;
            union[l]++;
            if (p == l) inter[l]++;
            else if (p >= 0 && p < k) union[p]++;
        }
    }
}
