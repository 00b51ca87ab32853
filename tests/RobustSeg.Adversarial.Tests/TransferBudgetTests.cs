using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Training;
using RobustSeg.Config;

namespace RobustSeg.Adversarial.Tests;

/// <summary>The device-residency budget (issue 13 item 5): a training iteration of every regime reads the
/// device once (the logged scalars, one transfer) and an attack step reads it not at all. Counted on the CPU
/// device, where a copy costs little, because the same code path is a synchronising PCIe copy on a GPU.</summary>
[NonParallelizable]
public class TransferBudgetTests
{
    [TestCase(Regime.NoDefense)]
    [TestCase(Regime.Sat)]
    [TestCase(Regime.DdcAt)]
    public void TrainingIterationReadsTheDeviceOnce(Regime regime)
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var model = TrainTestSupport.TinyModel(dev, ddcat: regime == Regime.DdcAt);
        using var opt = model.CreateOptimizer(0.01);
        var (x, y) = TrainTestSupport.Batch(dev, 4);
        var step = new TrainStep(model, opt, regime, new TrainingAttack());
        step.Run(x, y, 1); // warm-up: constants are uploaded once, on first use
        TransferCounter.Reset();
        step.Run(x, y, 2);
        long reads = TransferCounter.ToHost, writes = TransferCounter.ToDevice;
        TestContext.Out.WriteLine($"{regime}: {reads} reads, {writes} writes");
        Assert.That(reads, Is.LessThanOrEqualTo(1), "device-to-host reads in one training iteration");
        Assert.That(writes, Is.EqualTo(0), "host-to-device writes in one iteration when the batch is already on the device");
    }

    // The sign-gradient family (the training attack, the legacy protocol's BIM, PGD, SegPGD, CosPGD).
    public static IEnumerable<string> Attacks => ["fgsm", "bim", "pgd", "segpgd", "cospgd"];

    [TestCaseSource(nameof(Attacks))]
    public void AttackStepsReadNothing(string name)
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var model = TrainTestSupport.TinyModel(dev, ddcat: false);
        model.Eval();
        var (x, y) = TrainTestSupport.Batch(dev, 2);
        long Count(int steps)
        {
            var o = new AttackOptions { Eps = 8f / 255, Alpha = 2f / 255, Steps = steps, Seed = 3 };
            TransferCounter.Reset();
            using var s = Tensor.Scope();
            AttackFactory.Create(name)!.Perturb(model.Forward, x, y, new AttackContext(o));
            return TransferCounter.ToHost + TransferCounter.ToDevice;
        }
        long few = Count(10), many = Count(20);
        TestContext.Out.WriteLine($"{name}: {few} transfers at 10 steps, {many} at 20");
        Assert.That(many, Is.EqualTo(few), $"{name}: transfers grow with the number of steps");
    }

    /// <summary>APGD's step-size rules are the reference's host code: one read per iteration (the N tracked
    /// losses, with the correct counts when early stop is on), nothing else.</summary>
    [TestCase("apgd")]
    [TestCase("apgd-masked")]
    [TestCase("sea")]
    public void ApgdReadsOncePerIteration(string name)
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var model = TrainTestSupport.TinyModel(dev, ddcat: false);
        model.Eval();
        var (x, y) = TrainTestSupport.Batch(dev, 2);
        (long Reads, long Writes) Count(int steps)
        {
            var o = new AttackOptions { Eps = 8f / 255, Alpha = 2f / 255, Steps = steps, Seed = 3 };
            TransferCounter.Reset();
            using var s = Tensor.Scope();
            AttackFactory.Create(name)!.Perturb(model.Forward, x, y, new AttackContext(o));
            return (TransferCounter.ToHost, TransferCounter.ToDevice);
        }
        var few = Count(20);
        var many = Count(40);
        TestContext.Out.WriteLine($"{name}: {few} at 20 steps, {many} at 40");
        // SEA runs four APGD members over the steps (split into three radius stages): 4 reads per step in all;
        // an early stop can only end a run sooner.
        int members = name == "sea" ? 4 : 1;
        Assert.That(many.Reads - few.Reads, Is.LessThanOrEqualTo(20 * members), "reads per added iteration");
        // Writes: the improved-images mask when a best point moves, and at checkpoints the new step sizes and the
        // restart mask (SEA's three radius stages have three sets of checkpoints).
        Assert.That(many.Writes - few.Writes, Is.LessThanOrEqualTo(2 * 20 * members), "writes per added iteration");
    }
}
