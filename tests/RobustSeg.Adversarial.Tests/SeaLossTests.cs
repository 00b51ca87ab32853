using RobustSeg.Adversarial.Attacks;
using RobustSeg.Engine.IO;

namespace RobustSeg.Adversarial.Tests;

/// <summary>SEA's losses and both CosPGD weightings against the reference definitions in torch
/// (scripts/gen_sea_loss_reference.py): per-pixel values and d sum(map) / d logits.</summary>
public class SeaLossTests
{
    static readonly Dictionary<string, NpyArray> Ref =
        Npy.ReadNpz(Path.Combine(AppContext.BaseDirectory, "Data", "torch", "sea_losses.npz"));

    static IPixelLoss Loss(string name) => name switch
    {
        "masked-ce" => new MaskedCrossEntropyLoss(),
        "segpgd" => new SegPgdLoss(),
        "js" => new JsDivergenceLoss(),
        "mask-sph" => new NormalizedCorrectLogitLoss(masked: true),
        "norm-corrlog" => new NormalizedCorrectLogitLoss(masked: false),
        "cospgd-sigmoid" => new CosPgdLoss(sigmoid: true),
        "cospgd" => new CosPgdLoss(),
        _ => throw new ArgumentException(name),
    };

    [TestCase("masked-ce")]
    [TestCase("segpgd")]
    [TestCase("js")]
    [TestCase("mask-sph")]
    [TestCase("norm-corrlog")]
    [TestCase("cospgd-sigmoid")]
    [TestCase("cospgd")]
    public void MatchesTorch(string name)
    {
        using var s = Tensor.Scope();
        var z = Tensor.FromArray(Device.Cpu, Ref["logits"].ToFloat(), Ref["logits"].Shape);
        z.RequiresGrad = true;
        var y = Tensor.FromArray(Device.Cpu, Ref["labels"].ToInt(), Ref["labels"].Shape);
        using var target = new AttackTarget(y, 255);
        var loss = Loss(name);
        Assert.That(loss.Name, Is.EqualTo(name));
        // The reference's SegPGD t (0 at the start) is our 1-based step minus one.
        int t = (int)Ref["segpgd_t"].Data[0], T = (int)Ref["segpgd_max"].Data[0];
        var map = loss.Map(z, target, t + 1, T);
        var g = Autograd.Grad(F.Sum(map), [z])[0].ToArray();
        var expected = Ref[name + "_map"].ToFloat();
        Assert.That(map.ToArray(), Is.EqualTo(expected).Within(2e-6), "per-pixel loss");
        Assert.That(g, Is.EqualTo(Ref[name + "_grad"].ToFloat()).Within(2e-6), "gradient w.r.t. the logits");
        // Not vacuous: the loss is non-zero somewhere and has a gradient.
        Assert.That(expected.Any(v => v != 0) && g.Any(v => v != 0), Is.True);
    }

    [Test]
    public void CosPgdVariantsDiffer()
    {
        // Softmax (official) and sigmoid (Croce et al.) weights are different functions of the logits.
        Assert.That(Ref["cospgd_map"].Data, Is.Not.EqualTo(Ref["cospgd-sigmoid_map"].Data));
        Assert.That(AttackFactory.Create("cospgd-sigmoid")!.Name, Is.EqualTo("cospgd-sigmoid"));
        Assert.That(((SignGradientAttack)AttackFactory.Create("cospgd")!).Loss, Is.InstanceOf<CosPgdLoss>()
            .With.Property(nameof(CosPgdLoss.UsesSigmoid)).False);
        Assert.That(((SignGradientAttack)AttackFactory.Create("cospgd-sigmoid")!).Loss, Is.InstanceOf<CosPgdLoss>()
            .With.Property(nameof(CosPgdLoss.UsesSigmoid)).True);
    }
}
