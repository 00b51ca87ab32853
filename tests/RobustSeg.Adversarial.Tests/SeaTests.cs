using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;

namespace RobustSeg.Adversarial.Tests;

/// <summary>SEA: its four members, the worst case per image over them, determinism, radii and defaults.</summary>
public class SeaTests
{
    const int N = 3, H = 6, W = 7;
    static readonly ToySegModel Model = new(classes: 4, hidden: 8, seed: 3);

    static (Tensor X, Tensor Y, float[] Clean) Batch()
    {
        var clean = TestData.Images(N, H, W, 23);
        var x = Tensor.FromArray(Device.Cpu, clean, N, 3, H, W);
        return (x, Tensor.FromArray(Device.Cpu, TestData.SelfLabels(Model, x), N, H, W), clean);
    }

    static double[] Acc(Tensor adv, Tensor y)
    {
        using var _ = Autograd.NoGrad();
        using var s = Tensor.Scope();
        using var t = new AttackTarget(y, 255);
        return t.Accuracy(Model.Forward(adv));
    }

    static readonly AttackOptions Opts = new() { Eps = 4f / 255, Steps = 20, Seed = 11, RandomStart = true };

    [Test]
    public void MembersAreThePublishedLossesWithTheirTrackingLosses()
    {
        var m = Sea.Members().Cast<ProgressiveApgd>().Select(p => (p.Inner.Loss.Name, p.Inner.Track.Name, p.Inner.EarlyStop)).ToArray();
        Assert.That(m, Is.EqualTo(new[]
        {
            ("masked-ce", "ce", true), ("segpgd", "ce", true), ("js", "ce", true), ("mask-sph", "norm-corrlog", true),
        }));
        Assert.That(ProgressiveApgd.Split(300), Is.EqualTo(new[] { 90, 90, 120 }));
        Assert.That(ProgressiveApgd.Split(5), Is.EqualTo(new[] { 1, 1, 3 }));
        var (atk, o) = AttackSetup.Create("sea", AttackProtocol.Strong);
        Assert.That(atk, Is.InstanceOf<Sea>());
        Assert.That((o.Steps, o.RandomStart), Is.EqualTo((300, true)));
        Assert.That(AttackSetup.Create("sea", AttackProtocol.Strong, steps: 40).Options.Steps, Is.EqualTo(40));
    }

    [Test]
    public void WorstCasePerImageIsAtMostEachMember()
    {
        using var s = Tensor.Scope();
        var (x, y, clean) = Batch();
        var sea = new Sea();
        var adv = sea.Perturb(Model.Forward, x, y, new AttackContext(Opts));
        var seaAcc = Acc(adv, y);
        var members = Sea.Members();
        var memberAcc = members.Select((m, i) =>
            Acc(m.Perturb(Model.Forward, x, y, new AttackContext(Opts with { Seed = Sea.MemberSeed(Opts.Seed, i) })), y)).ToArray();
        for (int n = 0; n < N; n++)
        {
            foreach (var a in memberAcc) Assert.That(seaAcc[n], Is.LessThanOrEqualTo(a[n]), $"image {n}");
            Assert.That(seaAcc[n], Is.EqualTo(memberAcc.Min(a => a[n])), $"image {n}: SEA keeps the worst member");
        }
        Assert.That(sea.LastAccuracies.Select(l => l.Accuracy), Is.EqualTo(memberAcc), "the members inside SEA are the standalone ones");
        Assert.That(seaAcc.Average(), Is.LessThan(1.0), "the attack flips pixels of the toy model");
        var a2 = adv.ToArray();
        for (int i = 0; i < a2.Length; i++)
            Assert.That(Math.Abs(a2[i] - clean[i]), Is.LessThanOrEqualTo(Opts.Eps + 1e-6f), "the result is in the eps ball, not the 2 eps one");
    }

    [Test]
    public void DeterministicForASeed()
    {
        using var s = Tensor.Scope();
        var (x, y, _) = Batch();
        var a = new Sea().Perturb(Model.Forward, x, y, new AttackContext(Opts)).ToArray();
        var b = new Sea().Perturb(Model.Forward, x, y, new AttackContext(Opts)).ToArray();
        var c = new Sea().Perturb(Model.Forward, x, y, new AttackContext(Opts with { Seed = 12 })).ToArray();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c), "the seed drives the random starts");
    }

    [Test]
    public void ProgressiveRadiusRunsTheLargerBallsFirst()
    {
        using var s = Tensor.Scope();
        var (x, y, _) = Batch();
        var linf = new List<(int Restart, int Step, double Linf)>();
        var member = Sea.Members()[0];
        using var _ = member.Perturb(Model.Forward, x, y, new AttackContext(Opts with { Steps = 10 }, i => linf.Add((i.Restart, i.Step, i.PerturbationLinf))));
        // 3 + 3 + 4 iterations (plus each run's start point): 4 + 4 + 5 evaluations.
        Assert.That(linf, Has.Count.EqualTo(13));
        float eps = Opts.Eps;
        Assert.That(linf.Take(4).Max(l => l.Linf), Is.GreaterThan(1.5 * eps + 1e-6), "first run in the 2 eps ball");
        Assert.That(linf.Take(4).Max(l => l.Linf), Is.LessThanOrEqualTo(2 * eps + 1e-6));
        Assert.That(linf.Skip(4).Take(4).Max(l => l.Linf), Is.LessThanOrEqualTo(1.5 * eps + 1e-6));
        Assert.That(linf.Skip(8).Max(l => l.Linf), Is.LessThanOrEqualTo(eps + 1e-6));
    }
}
