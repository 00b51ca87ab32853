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

    /// <summary>Data-parallel hooks (DataParallel sets them; one process leaves them as they are): where the local
    /// samples sit in the global batch (dropout masks), the factor on the label losses that makes the mean over
    /// ranks the global batch's mean, and the gradient averaging between backward and optimizer step.</summary>
    public IReadOnlyList<int>? SamplePositions { get; set; }
    public float LabelLossScale { get; set; } = 1f;
    public Action? BeforeOptimizerStep { get; set; }

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

        float[] v;
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
            DropoutSeeding.Apply(Model, Seed, iteration, SamplePositions);
            var o = Model.Run(Normalization.Normalize(input), ForwardOptions.Everything);
            var main = F.CrossEntropy(o.Logits, labels, IgnoreLabel);
            var loss = main;
            Tensor? aux = null, mask = null;
            if (o.Aux is not null && AuxWeight != 0)
            {
                aux = F.CrossEntropy(o.Aux, labels, IgnoreLabel);
                loss = F.Add(loss, F.MulScalar(aux, AuxWeight));
            }
            if (LabelLossScale != 1f) loss = F.MulScalar(loss, LabelLossScale);
            if (Regime == Regime.DdcAt)
            {
                // Targets are 0/1 everywhere: an ignore index outside {0, 1} keeps every pixel.
                mask = F.CrossEntropy(o.MaskLogits!, targets!, ignoreIndex: -1);
                loss = F.Add(loss, mask);
            }
            Optimizer.ZeroGrad();
            loss.Backward();
            BeforeOptimizerStep?.Invoke();
            Optimizer.Step();
            v = Scalars(main, aux, mask, loss, o, labels, targets, half, n);
        }
        double routedClean = v[(int)Stat.RoutedClean], routedAdv = v[(int)Stat.RoutedAdv];
        return new IterationRecord(iteration, epoch, iterInEpoch, Optimizer.Groups[0].Lr, v[(int)Stat.Main], v[(int)Stat.Aux],
            v[(int)Stat.Mask], v[(int)Stat.Total],
            // The whole batch's share: the halves weighted by their image counts (same pixels per image).
            (half * routedClean + (n - half) * routedAdv) / n,
            v[(int)Stat.Valid] == 0 ? 0 : (double)v[(int)Stat.Correct] / v[(int)Stat.Valid],
            sw.Elapsed.TotalSeconds,
            HeadLr: Optimizer.Groups[^1].Lr, MaskTargetOnes: v[(int)Stat.TargetOnes], RoutedClean: routedClean, RoutedAdv: routedAdv);
    }

    enum Stat { Main, Aux, Mask, Total, Correct, Valid, TargetOnes, RoutedClean, RoutedAdv, Count }

    /// <summary>Every scalar of the iteration, reduced on the device and read back in one copy (one host sync per
    /// iteration instead of one per value). Absent values (no aux, no DDC-AT) are 0.</summary>
    float[] Scalars(Tensor main, Tensor? aux, Tensor? mask, Tensor loss, Models.SegOutput o, Tensor labels, Tensor? targets, int half, int n)
    {
        using var ng = Autograd.NoGrad();
        var dev = labels.Device;
        var s = new Tensor[(int)Stat.Count];
        Tensor zero = Tensor.Zeros(dev);
        for (int i = 0; i < s.Length; i++) s[i] = zero;
        s[(int)Stat.Main] = main;
        s[(int)Stat.Total] = loss;
        if (aux is not null) s[(int)Stat.Aux] = aux;
        if (mask is not null) s[(int)Stat.Mask] = mask;
        // Pixel accuracy over non-ignored labels: ignore_label is never a class index (config rule), so it never
        // equals an argmax and counts only in `Valid`.
        s[(int)Stat.Correct] = F.Sum(F.ToFloat(F.Equal(F.Argmax(o.Logits), labels)));
        s[(int)Stat.Valid] = F.Sum(F.ToFloat(F.NotEqual(labels, Tensor.FullInt(dev, IgnoreLabel, labels.Shape))));
        if (targets is not null && half > 0)
            s[(int)Stat.TargetOnes] = F.Mean(F.ToFloat(F.Narrow(targets, 0, 0, half)));
        if (o.Route is not null)
        {
            if (half > 0) s[(int)Stat.RoutedClean] = F.Mean(F.ToFloat(F.Narrow(o.Route, 0, 0, half)));
            if (n - half > 0) s[(int)Stat.RoutedAdv] = F.Mean(F.ToFloat(F.Narrow(o.Route, 0, half, n - half)));
        }
        return F.Cat(s.Select(t => t.ViewAs(1)).ToArray(), 0).ToArray();
    }
}
