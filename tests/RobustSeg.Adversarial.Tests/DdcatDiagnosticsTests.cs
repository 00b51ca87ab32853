using System.Globalization;
using NUnit.Framework;
using RobustSeg.Config;
using RobustSeg.Adversarial.Training;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Tests;

/// <summary>The DDC-AT branch diagnostics of a training iteration (mask targets equal to 1 in the clean half, the
/// share of pixels routed to cls2 in each half, the mask-head loss), recomputed here from a twin model's outputs.</summary>
public class DdcatDiagnosticsTests
{
    const int S = TrainTestSupport.Size;

    [Test]
    public void DiagnosticsMatchAnIndependentComputation()
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var model = TrainTestSupport.TinyModel(dev, ddcat: true);
        // The twin has the same weights; it is never stepped, so it shows the state the iteration started from.
        using var twin = TrainTestSupport.TinyModel(dev, ddcat: true);
        using var opt = model.CreateOptimizer(0.01);
        var (x, y) = TrainTestSupport.Batch(dev, 4);
        var attack = new TrainingAttack(0.15f, 3);
        var step = new TrainStep(model, opt, Regime.DdcAt, attack) { KeepLastInput = true, KeepMaskTargets = true };

        var clean = x.ToArray();
        var adv = attack.Perturb(twin, x, y).ToArray();
        var a = TrainStepTests.Routed(twin, clean, 2);
        var b = TrainStepTests.Routed(twin, adv, 2);
        var rec = step.Run(x, y, 1);

        int plane = S * S;
        double ones = Enumerable.Range(0, 2 * plane).Count(i => a[i] != b[i]) / (2.0 * plane);
        Assert.That(ones, Is.GreaterThan(0), "the test needs some flipped pixels");
        Assert.That(rec.MaskTargetOnes, Is.EqualTo(ones).Within(1e-6));

        // The training forward (train mode, this iteration's dropout masks) on the composed batch, by hand.
        var targets = step.LastMaskTargets!;
        var maskLogits = TrainForwardMaskLogits(twin, step.LastInput!, 4, step.Seed);
        long routedClean = 0, routedAdv = 0;
        double ce = 0;
        for (int n = 0; n < 4; n++)
            for (int p = 0; p < plane; p++)
            {
                double m0 = maskLogits[(n * 2) * plane + p], m1 = maskLogits[(n * 2 + 1) * plane + p];
                if (m1 > m0) { if (n < 2) routedClean++; else routedAdv++; }
                double lse = Math.Max(m0, m1) + Math.Log(Math.Exp(m0 - Math.Max(m0, m1)) + Math.Exp(m1 - Math.Max(m0, m1)));
                ce += lse - (targets[n * plane + p] == 1 ? m1 : m0);
            }
        ce /= 4.0 * plane;
        Assert.That(rec.RoutedClean, Is.EqualTo(routedClean / (2.0 * plane)).Within(1e-6));
        Assert.That(rec.RoutedAdv, Is.EqualTo(routedAdv / (2.0 * plane)).Within(1e-6));
        Assert.That(rec.RoutedFraction, Is.EqualTo((routedClean + routedAdv) / (4.0 * plane)).Within(1e-6));
        Assert.That(rec.MaskLoss, Is.EqualTo(ce).Within(1e-4 * Math.Max(1, ce)));
    }

    /// <summary>mask1's logits (N, 2, H, W) of the train-mode forward TrainStep runs, with its dropout seeding.</summary>
    static float[] TrainForwardMaskLogits(SegmentationModel m, float[] input, int n, ulong seed)
    {
        using var scope = Tensor.Scope();
        using var ng = Autograd.NoGrad();
        m.Train();
        DropoutSeeding.Apply(m, seed, 1);
        var o = m.Run(Normalization.Normalize(Tensor.FromArray(m.Device, input, n, 3, S, S)), ForwardOptions.Everything);
        var r = o.MaskLogits!.ToArray();
        m.Eval();
        return r;
    }

    [Test]
    public void TrainLogHasTheDiagnosticColumns()
    {
        var dir = TrainTestSupport.TempDir("diag");
        var cfg = TrainTestSupport.TinyConfig("ddcat", dir, 1);
        var recs = new List<IterationRecord>();
        new Trainer(cfg, Device.Cpu, new TrainerOptions { OnIteration = recs.Add }).Run();
        var csv = Path.Combine(dir, "train_log.csv");
        var log = TrainLog.Read(csv);
        Assert.That(log, Has.Count.EqualTo(recs.Count));
        foreach (var (col, get) in new (string, Func<IterationRecord, double>)[]
                 {
                     ("mask_target_ones", r => r.MaskTargetOnes), ("routed_clean", r => r.RoutedClean),
                     ("routed_adv", r => r.RoutedAdv), ("mask_loss", r => r.MaskLoss), ("routed_fraction", r => r.RoutedFraction),
                 })
        {
            int c = TrainRunTests.Column(csv, col);
            Assert.That(log.Select(row => double.Parse(row[c], CultureInfo.InvariantCulture)), Is.EqualTo(recs.Select(get)), col);
            Assert.That(recs.Select(get), Is.All.InRange(0.0, col == "mask_loss" ? double.MaxValue : 1.0), col);
        }
        Assert.That(recs.Select(r => r.MaskLoss), Is.All.GreaterThan(0));
    }

    [Test]
    public void OtherRegimesLogZeroDiagnostics()
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var model = TrainTestSupport.TinyModel(dev, ddcat: false);
        using var opt = model.CreateOptimizer(0.01);
        var (x, y) = TrainTestSupport.Batch(dev, 4);
        var rec = new TrainStep(model, opt, Regime.Sat, new TrainingAttack()).Run(x, y, 1);
        Assert.That(new[] { rec.MaskLoss, rec.MaskTargetOnes, rec.RoutedClean, rec.RoutedAdv, rec.RoutedFraction }, Is.All.EqualTo(0));
        Assert.That(rec.MainLoss, Is.GreaterThan(0));
        Assert.That(rec.TotalLoss, Is.EqualTo(rec.MainLoss + 0.4 * rec.AuxLoss).Within(1e-4));
    }

    [Test]
    public void PixelAccuracyIsOverNonIgnoredPixels()
    {
        // Now reduced on the device with the other scalars: checked against the host count on a twin's forward.
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var model = TrainTestSupport.TinyModel(dev, ddcat: false);
        using var twin = TrainTestSupport.TinyModel(dev, ddcat: false);
        using var opt = model.CreateOptimizer(0.01);
        var (x, y) = TrainTestSupport.Batch(dev, 2);
        var step = new TrainStep(model, opt, Regime.NoDefense, new TrainingAttack());
        var rec = step.Run(x, y, 1);
        twin.Train();
        DropoutSeeding.Apply(twin, step.Seed, 1);
        int[] pred;
        using (Autograd.NoGrad()) pred = F.Argmax(twin.Run(Normalization.Normalize(x), ForwardOptions.Everything).Logits).ToIntArray();
        var lab = y.ToIntArray();
        int valid = lab.Count(l => l != 255), ok = Enumerable.Range(0, lab.Length).Count(i => lab[i] != 255 && pred[i] == lab[i]);
        Assert.That(valid, Is.LessThan(lab.Length), "the batch has ignored pixels");
        Assert.That(rec.PixelAccuracy, Is.EqualTo((double)ok / valid).Within(1e-9));
    }
}
