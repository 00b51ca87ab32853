using NUnit.Framework;
using RobustSeg.Config;
using RobustSeg.Adversarial.Training;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Tests;

public class TrainStepTests
{
    const int S = TrainTestSupport.Size;

    /// <summary>Routed prediction (eval mode, every head) computed here from the model's outputs, not the trainer's code.</summary>
    internal static int[] Routed(SegmentationModel model, float[] images, int count)
    {
        using var scope = Tensor.Scope();
        using var ng = Autograd.NoGrad();
        model.Eval();
        var x = Tensor.FromArray(model.Device, images.AsSpan(0, count * 3 * S * S).ToArray(), count, 3, S, S);
        var o = model.Run(Normalization.Normalize(x), new ForwardOptions(AllHeads: true, Aux: false));
        // Routing by hand: cls2 where the mask head's argmax is 1, else cls1.
        var mask = o.MaskLogits!.ToArray(); var c1 = o.Cls1!.ToArray(); var c2 = o.Cls2!.ToArray();
        int k = TrainTestSupport.Classes, plane = S * S;
        var pred = new int[count * plane];
        for (int n = 0; n < count; n++)
            for (int p = 0; p < plane; p++)
            {
                bool adv = mask[(n * 2 + 1) * plane + p] > mask[(n * 2) * plane + p];
                var src = adv ? c2 : c1;
                int best = 0;
                for (int c = 1; c < k; c++) if (src[(n * k + c) * plane + p] > src[(n * k + best) * plane + p]) best = c;
                pred[n * plane + p] = best;
            }
        return pred;
    }

    [Test]
    public void DdcatMaskTargetsAreWhereRoutedPredictionsFlip()
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var model = TrainTestSupport.TinyModel(dev, ddcat: true);
        using var opt = model.CreateOptimizer(0.01);
        var (x, y) = TrainTestSupport.Batch(dev, 4);
        // A larger eps so that some routed predictions certainly flip.
        var attack = new TrainingAttack(0.15f, 3);
        var step = new TrainStep(model, opt, Regime.DdcAt, attack) { KeepLastInput = true, KeepMaskTargets = true };

        var adv = attack.Perturb(model, x, y).ToArray();
        var clean = x.ToArray();
        var a = Routed(model, clean, 2);
        var b = Routed(model, adv, 2);
        model.Train();

        var rec = step.Run(x, y, 1);
        var t = step.LastMaskTargets!;
        int plane = S * S;
        Assert.That(t, Has.Length.EqualTo(4 * plane));
        int ones = 0;
        for (int i = 0; i < 2 * plane; i++)
        {
            int expected = a[i] != b[i] ? 1 : 0;
            ones += expected;
            Assert.That(t[i], Is.EqualTo(expected), $"clean-half pixel {i}");
        }
        Assert.That(ones, Is.GreaterThan(0), "the test needs some flipped pixels");
        Assert.That(t.Skip(2 * plane), Is.All.EqualTo(0), "adversarial half targets are 0");
        Assert.That(rec.MaskLoss, Is.GreaterThan(0));
        Assert.That(rec.RoutedFraction, Is.InRange(0.0, 1.0));

        // The trained batch: clean first half, the adversaries of the second half.
        var input = step.LastInput!;
        int img = 3 * plane;
        Assert.That(input.AsSpan(0, 2 * img).ToArray(), Is.EqualTo(clean.AsSpan(0, 2 * img).ToArray()));
        Assert.That(input.AsSpan(2 * img).ToArray(), Is.EqualTo(adv.AsSpan(2 * img).ToArray()));
    }

    [Test]
    public void SatTrainsOnCleanHalfAndAdversarialHalf()
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var model = TrainTestSupport.TinyModel(dev, ddcat: false);
        using var opt = model.CreateOptimizer(0.01);
        var (x, y) = TrainTestSupport.Batch(dev, 4);
        var attack = new TrainingAttack();
        var step = new TrainStep(model, opt, Regime.Sat, attack) { KeepLastInput = true };
        var adv = attack.Perturb(model, x, y).ToArray();
        step.Run(x, y, 1);
        var input = step.LastInput!;
        var clean = x.ToArray();
        int img = 3 * S * S;
        Assert.That(input.AsSpan(0, 2 * img).ToArray(), Is.EqualTo(clean.AsSpan(0, 2 * img).ToArray()));
        // Eval-mode batch norm makes each image's attack independent of the rest of the batch.
        var second = input.AsSpan(2 * img).ToArray();
        var expect = adv.AsSpan(2 * img).ToArray();
        for (int i = 0; i < second.Length; i++) Assert.That(second[i], Is.EqualTo(expect[i]).Within(1e-6f));
        Assert.That(second, Is.Not.EqualTo(clean.AsSpan(2 * img).ToArray()));
    }

    [Test]
    public void NoDefenseUpdatesWeightsAndReportsLosses()
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var model = TrainTestSupport.TinyModel(dev, ddcat: false);
        using var opt = model.CreateOptimizer(0.01);
        var (x, y) = TrainTestSupport.Batch(dev, 2);
        var before = model.StateDict()["cls.4.weight"].ToArray();
        var rec = new TrainStep(model, opt, Regime.NoDefense, new TrainingAttack()).Run(x, y, 1);
        Assert.That(model.StateDict()["cls.4.weight"].ToArray(), Is.Not.EqualTo(before));
        Assert.That(rec.TotalLoss, Is.EqualTo(rec.MainLoss + 0.4 * rec.AuxLoss).Within(1e-4));
        Assert.That(rec.MaskLoss, Is.EqualTo(0));
        Assert.That(rec.PixelAccuracy, Is.InRange(0.0, 1.0));
    }

    [Test]
    public void RegimeAndModelMustAgree()
    {
        var dev = Device.Cpu;
        using var plain = TrainTestSupport.TinyModel(dev, ddcat: false);
        using var opt = plain.CreateOptimizer(0.01);
        Assert.Throws<ArgumentException>(() => new TrainStep(plain, opt, Regime.DdcAt, new TrainingAttack()));
    }

    [Test]
    public void HeadsTrainAtTenTimesTheBackboneRate()
    {
        using var model = TrainTestSupport.TinyModel(Device.Cpu, ddcat: true);
        using var opt = model.CreateOptimizer(0.01);
        var groups = opt.Groups.ToDictionary(g => g.Name);
        Assert.That(groups["backbone"].Parameters.All(p => p.Name.StartsWith("layer")));
        var heads = groups["heads"].Parameters.Select(p => p.Name.Split('.')[0]).Distinct().OrderBy(s => s);
        Assert.That(heads, Is.EquivalentTo(new[] { "aux_cls1", "cls1", "cls2", "mask1", "ppm" }));
        Assert.That(groups["heads"].Lr, Is.EqualTo(0.1).Within(1e-12));
    }
}
