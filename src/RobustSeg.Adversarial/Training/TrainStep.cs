using System.Diagnostics;
using RobustSeg.Config;
using RobustSeg.Engine;
using RobustSeg.Models;
using RobustSeg.Nn;

namespace RobustSeg.Adversarial.Training;

/// <summary>One training iteration of a regime (DESIGN section 5) on a batch of [0,1] images:
/// - nodefense: the clean batch;
/// - SAT: first half clean, second half the BIM adversaries of the second half;
/// - DDC-AT: the same batch, plus mask targets from the clean half's routed predictions (clean vs adversary);
/// loss = CE(output, ignore) + aux_weight * CE(aux) (+ CE(mask1, targets) for DDC-AT, no ignore), then SGD.
/// The attack runs the model in eval mode; each image is attacked independently there (eval-mode batch norm), so
/// SAT attacks only the half it trains on, which gives the same adversaries as attacking the whole batch.</summary>
public sealed class TrainStep
{
    public SegmentationModel Model { get; }
    public SGD Optimizer { get; }
    public Regime Regime { get; }
    public TrainingAttack Attack { get; }
    public float AuxWeight { get; }
    public int IgnoreLabel { get; }
    public ulong Seed { get; }

    /// <summary>The last DDC-AT mask targets (for tests and study), host copy; null for other regimes.</summary>
    public int[]? LastMaskTargets { get; private set; }
    /// <summary>Keep a host copy of each DDC-AT iteration's mask targets in <see cref="LastMaskTargets"/>
    /// (tests and studies; off in training, where the targets stay on the device).</summary>
    public bool KeepMaskTargets { get; set; }

    /// <summary>Keep a host copy of each iteration's composed input batch in <see cref="LastInput"/> (tests).</summary>
    public bool KeepLastInput { get; set; }
    public float[]? LastInput { get; private set; }

    public TrainStep(SegmentationModel model, SGD optimizer, Regime regime, TrainingAttack attack, float auxWeight = 0.4f,
        int ignoreLabel = 255, ulong seed = 0)
    {
        if (regime == Regime.DdcAt && !model.IsDdcat) throw new ArgumentException("regime ddcat needs a DDC-AT model (ddcat: true)");
        if (regime != Regime.DdcAt && model.IsDdcat) throw new ArgumentException($"regime {regime.ToKey()} trains a plain model, got a DDC-AT model");
        Model = model; Optimizer = optimizer; Regime = regime; Attack = attack;
        AuxWeight = auxWeight; IgnoreLabel = ignoreLabel; Seed = seed;
    }

    public static TrainStep FromConfig(SegmentationModel model, SGD optimizer, TrainSection t) =>
        new(model, optimizer, t.Regime, TrainingAttack.FromConfig(t), (float)t.AuxWeight, t.IgnoreLabel, (ulong)t.Seed);

    /// <summary>Runs the iteration (1-based `iteration` seeds dropout) with the optimizer's current LRs.</summary>
    public IterationRecord Run(Tensor images01, Tensor labels, long iteration, int epoch = 1, int iterInEpoch = 1)
    {
        var sw = Stopwatch.StartNew();
        int n = images01.Size(0);
        if (labels.Rank != 3 || labels.Size(0) != n) throw new ArgumentException($"labels {labels.ShapeString} do not match images {images01.ShapeString}");
        if (Regime != Regime.NoDefense && n < 2) throw new ArgumentException($"regime {Regime.ToKey()} needs a batch of at least 2 (half clean, half adversarial), got {n}");
        int half = n / 2;

        double mainV, auxV = 0, maskV = 0, totalV, routed = 0, acc;
        using (var scope = Tensor.Scope())
        {
            Tensor input = images01;
            Tensor? targets = null;
            LastMaskTargets = null;
            if (Regime == Regime.Sat)
            {
                var advHalf = Attack.Perturb(Model, F.Narrow(images01, 0, half, n - half), F.Narrow(labels, 0, half, n - half));
                input = F.Cat([F.Narrow(images01, 0, 0, half), advHalf], 0);
            }
            else if (Regime == Regime.DdcAt)
            {
                var adv = Attack.Perturb(Model, images01, labels);
                targets = MaskTargets.Compute(Model, images01, adv, half, n);
                if (KeepMaskTargets) LastMaskTargets = targets.ToIntArray();
                input = F.Cat([F.Narrow(images01, 0, 0, half), F.Narrow(adv, 0, half, n - half)], 0);
            }

            if (KeepLastInput) LastInput = input.ToArray();
            Model.Train();
            DropoutSeeding.Apply(Model, Seed, iteration);
            var o = Model.Run(Normalization.Normalize(input), ForwardOptions.Everything);
            var main = F.CrossEntropy(o.Logits, labels, IgnoreLabel);
            var loss = main;
            if (o.Aux is not null && AuxWeight != 0)
            {
                var aux = F.CrossEntropy(o.Aux, labels, IgnoreLabel);
                auxV = aux.Item();
                loss = F.Add(loss, F.MulScalar(aux, AuxWeight));
            }
            if (Regime == Regime.DdcAt)
            {
                // Targets are 0/1 everywhere: an ignore index outside {0, 1} keeps every pixel.
                var mask = F.CrossEntropy(o.MaskLogits!, targets!, ignoreIndex: -1);
                maskV = mask.Item();
                loss = F.Add(loss, mask);
                using var ng = Autograd.NoGrad();
                routed = F.Mean(F.ToFloat(o.Route!)).Item();
            }
            Optimizer.ZeroGrad();
            loss.Backward();
            Optimizer.Step();
            mainV = main.Item();
            totalV = loss.Item();
            acc = PixelAccuracy(o.Logits, labels);
        }
        return new IterationRecord(iteration, epoch, iterInEpoch, Optimizer.Groups[0].Lr, mainV, auxV, maskV, totalV, routed, acc,
            sw.Elapsed.TotalSeconds);
    }

    double PixelAccuracy(Tensor logits, Tensor labels)
    {
        using var ng = Autograd.NoGrad();
        var p = F.Argmax(logits).ToIntArray();
        var l = labels.ToIntArray();
        long ok = 0, valid = 0;
        for (int i = 0; i < l.Length; i++)
        {
            if (l[i] == IgnoreLabel) continue;
            valid++;
            if (p[i] == l[i]) ok++;
        }
        return valid == 0 ? 0 : (double)ok / valid;
    }
}
