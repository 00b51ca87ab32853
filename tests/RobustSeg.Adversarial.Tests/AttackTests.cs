using RobustSeg.Adversarial.Attacks;

namespace RobustSeg.Adversarial.Tests;

public class AttackTests
{
    const int N = 2, H = 6, W = 7;
    static readonly ToySegModel Model = new(classes: 4, hidden: 8, seed: 3);

    static (Tensor X, Tensor Y, float[] Clean) Batch(Device dev)
    {
        var clean = TestData.Images(N, H, W, 17);
        var x = Tensor.FromArray(dev, clean, N, 3, H, W);
        var y = Tensor.FromArray(dev, TestData.SelfLabels(Model, x), N, H, W);
        return (x, y, clean);
    }

    static double Ce(Tensor x, Tensor y)
    {
        using var _ = Autograd.NoGrad();
        using var s = Tensor.Scope();
        return F.CrossEntropy(Model.Forward(x), y).Item();
    }

    static double Acc(Tensor x, Tensor y)
    {
        using var _ = Autograd.NoGrad();
        using var s = Tensor.Scope();
        using var t = new AttackTarget(y, 255);
        return t.Accuracy(Model.Forward(x)).Average();
    }

    public static IEnumerable<string> Names => AttackFactory.Names.Where(n => n != "none");

    [TestCaseSource(nameof(Names))]
    public void StaysInBallAndUnitBoxAndIncreasesLoss(string name)
    {
        using var s = Tensor.Scope();
        var (x, y, clean) = Batch(Device.Cpu);
        var attack = AttackFactory.Create(name)!;
        float eps = 8f / 255;
        var opts = new AttackOptions { Eps = eps, Alpha = 2f / 255, Steps = 5, Seed = 1 };
        var adv = attack.Perturb(Model.Forward, x, y, new AttackContext(opts));
        Assert.That(adv.Shape, Is.EqualTo(x.Shape));
        var a = adv.ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            Assert.That(a[i], Is.InRange(0f, 1f), $"{name}: pixel {i} outside [0,1]");
            Assert.That(Math.Abs(a[i] - clean[i]), Is.LessThanOrEqualTo(eps + 1e-6f), $"{name}: pixel {i} outside the eps ball");
        }
        Assert.That(Ce(adv, y), Is.GreaterThan(Ce(x, y)), $"{name} did not increase the loss");
        Assert.That(x.ToArray(), Is.EqualTo(clean), "input modified");
    }

    [Test]
    public void MoreStepsWithWorstCaseKeptNeverDoWorseThanBim2()
    {
        using var s = Tensor.Scope();
        var (x, y, _) = Batch(Device.Cpu);
        float eps = 4f / 255;
        double bim2 = Acc(new Bim().Perturb(Model.Forward, x, y, new AttackContext(new AttackOptions { Eps = eps, Alpha = eps / 2, Steps = 2 })), y);
        Assert.That(bim2, Is.LessThan(1.0), "BIM-2 should already flip some pixels of the toy model");
        var strong = new AttackOptions { Eps = eps, Alpha = eps / 4, Steps = 20, Seed = 5 };
        double pgd = Acc(new Pgd().Perturb(Model.Forward, x, y, new AttackContext(strong)), y);
        double apgd = Acc(new Apgd(new CrossEntropyLoss()).Perturb(Model.Forward, x, y, new AttackContext(strong)), y);
        var ens = new EnsembleAttack([new Bim(), new Apgd(new MarginLoss())]);
        double ensAcc = Acc(ens.Perturb(Model.Forward, x, y, new AttackContext(strong with { Steps = 2, Alpha = eps / 2 })), y);
        Assert.That(pgd, Is.LessThanOrEqualTo(bim2));
        Assert.That(apgd, Is.LessThanOrEqualTo(bim2));
        // The ensemble keeps per image the worst of its members.
        for (int i = 0; i < N; i++)
            Assert.That(ensAcc, Is.LessThanOrEqualTo(ens.LastAccuracies.Min(m => m.Accuracy.Average()) + 1e-12));
    }

    [Test]
    public void TrainingBimIsThreeProjectedSignStepsOfEpsOverThree()
    {
        using var s = Tensor.Scope();
        var (x, y, clean) = Batch(Device.Cpu);
        var o = AttackOptions.Training();
        Assert.That((o.Eps, o.Alpha, o.Steps, o.RandomStart), Is.EqualTo((0.03f, 0.01f, 3, false)));
        var steps = new List<AttackStepInfo>();
        var adv = new Bim().Perturb(Model.Forward, x, y, new AttackContext(o, info => steps.Add(info))).ToArray();
        Assert.That(steps.Select(st => st.Step), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(steps[0].PerturbationLinf, Is.EqualTo(0));
        // Hand loop: x <- clip(clip(x + 0.01 sign(grad CE)), x0 +- 0.03, [0,1]).
        var cur = (float[])clean.Clone();
        for (int t = 0; t < 3; t++)
        {
            using var sc = Tensor.Scope();
            var xv = Tensor.FromArray(Device.Cpu, cur, N, 3, H, W);
            xv.RequiresGrad = true;
            var g = Autograd.Grad(F.CrossEntropy(Model.Forward(xv), y), [xv])[0].ToArray();
            for (int i = 0; i < cur.Length; i++)
            {
                float v = cur[i] + 0.01f * Math.Sign(g[i]);
                v = Math.Clamp(v, clean[i] - 0.03f, clean[i] + 0.03f);
                cur[i] = Math.Clamp(v, 0f, 1f);
            }
        }
        Assert.That(adv, Is.EqualTo(cur).Within(1e-6));
    }

    [Test]
    public void SameSeedSameResultAndStepStatistics()
    {
        using var s = Tensor.Scope();
        var (x, y, _) = Batch(Device.Cpu);
        var o = new AttackOptions { Eps = 8f / 255, Alpha = 2f / 255, Steps = 4, Seed = 42 };
        var infos = new List<AttackStepInfo>();
        var a = new Pgd().Perturb(Model.Forward, x, y, new AttackContext(o, infos.Add)).ToArray();
        var b = new Pgd().Perturb(Model.Forward, x, y, new AttackContext(o)).ToArray();
        var c = new Pgd().Perturb(Model.Forward, x, y, new AttackContext(o with { Seed = 43 })).ToArray();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
        Assert.That(infos, Has.Count.EqualTo(4));
        foreach (var i in infos)
        {
            Assert.That(i.PerturbationLinf, Is.LessThanOrEqualTo(8.0 / 255 + 1e-6));
            Assert.That(i.GradL1, Is.GreaterThan(0));
            Assert.That(i.GradL2, Is.GreaterThan(0).And.LessThanOrEqualTo(i.GradL1));
            Assert.That(i.FlippedFraction, Is.InRange(0.0, 1.0));
        }
        // Random start: the first iterate is already perturbed.
        Assert.That(infos[0].PerturbationLinf, Is.GreaterThan(0));
    }

    [Test]
    public void SegPgdAndCosPgdGradientsMatchWeightedCe()
    {
        // The SegPGD objective at step t equals sum(w * CE) / valid with the published weights.
        using var s = Tensor.Scope();
        var (x, y, _) = Batch(Device.Cpu);
        using var target = new AttackTarget(y, 255);
        var logits = Model.Forward(x);
        var ce = F.CrossEntropyPerPixel(logits, y).ToArray();
        var w = SegPgdLoss.Weights(logits, y, 2, 4).ToArray();
        var map = new SegPgdLoss().Map(logits, target, 2, 4).ToArray();
        for (int i = 0; i < map.Length; i++) Assert.That(map[i], Is.EqualTo(ce[i] * w[i]).Within(1e-5));
        var cw = CosPgdLoss.Weights(logits, target.OneHot(4)).ToArray();
        var cmap = new CosPgdLoss().Map(logits, target, 1, 4).ToArray();
        for (int i = 0; i < cmap.Length; i++) Assert.That(cmap[i], Is.EqualTo(ce[i] * cw[i]).Within(1e-5));
    }

    [Test]
    public void AttacksAgreeAcrossHostAndKernelBackends()
    {
        using var s = Tensor.Scope();
        var (x, y, _) = Batch(Device.Cpu);
        var (xi, yi, _) = Batch(Device.Get("ilgpu-cpu"));
        var o = new AttackOptions { Eps = 8f / 255, Alpha = 2f / 255, Steps = 3, Seed = 9 };
        var a = new Pgd().Perturb(Model.Forward, x, y, new AttackContext(o)).ToArray();
        var b = new Pgd().Perturb(Model.Forward, xi, yi, new AttackContext(o)).ToArray();
        int differ = a.Zip(b).Count(p => Math.Abs(p.First - p.Second) > 1e-5);
        // Sign steps can flip where a gradient is ~0; allow a tiny fraction.
        Assert.That(differ, Is.LessThanOrEqualTo(a.Length / 100));
    }
}
