using NUnit.Framework;
using RobustSeg.Adversarial.Training;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Tests;

public class TrainAttackTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void PerturbationStaysInBallAndRaisesLoss(bool ddcat)
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var model = TrainTestSupport.TinyModel(dev, ddcat);
        model.Train();
        var (x, y) = TrainTestSupport.Batch(dev, 2);
        var attack = new TrainingAttack(0.03f, 3);
        Assert.That(attack.Alpha, Is.EqualTo(0.01f).Within(1e-7));
        Assert.That((attack.Eps, attack.Steps), Is.EqualTo((0.03f, 3)));

        var adv = attack.Perturb(model, x, y);
        Assert.That(model.IsTraining, Is.True, "the model's mode is restored after the attack");
        Assert.That(model.Parameters().All(p => p.Grad is null), "the attack computes no weight gradient");

        var xa = x.ToArray();
        var aa = adv.ToArray();
        double maxDelta = 0;
        for (int i = 0; i < xa.Length; i++)
        {
            Assert.That(aa[i], Is.InRange(0f, 1f));
            maxDelta = Math.Max(maxDelta, Math.Abs(aa[i] - xa[i]));
        }
        Assert.That(maxDelta, Is.LessThanOrEqualTo(0.03 + 1e-6));
        Assert.That(maxDelta, Is.GreaterThan(0.02), "three steps of eps/3 move pixels to the ball's edge");

        // Frozen weights, eval mode: the deployed head's CE rises.
        model.Eval();
        using var ng = Autograd.NoGrad();
        var f = TrainingAttack.Deployed(model);
        float clean = F.CrossEntropy(f(x), y).Item();
        float attacked = F.CrossEntropy(f(adv), y).Item();
        Assert.That(attacked, Is.GreaterThan(clean));
    }

    [Test]
    public void BatchSliceAndConcatRoundTrip()
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        var (x, y) = TrainTestSupport.Batch(dev, 4);
        var a = F.Narrow(x, 0, 0, 1);
        var b = F.Narrow(x, 0, 1, 3);
        Assert.That(b.Shape, Is.EqualTo(new[] { 3, 3, TrainTestSupport.Size, TrainTestSupport.Size }));
        Assert.That(F.Cat([a, b], 0).ToArray(), Is.EqualTo(x.ToArray()));
        var yl = F.Narrow(y, 0, 2, 2).ToIntArray();
        Assert.That(yl, Is.EqualTo(y.ToIntArray().Skip(2 * TrainTestSupport.Size * TrainTestSupport.Size).ToArray()));
    }
}
