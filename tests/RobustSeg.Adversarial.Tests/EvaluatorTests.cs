using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;

namespace RobustSeg.Adversarial.Tests;

public class EvaluatorTests
{
    internal static readonly ToySegModel Model = new(classes: 4, hidden: 8, seed: 3);

    /// <summary>Images whose labels are the toy model's own predictions at full size (so clean accuracy is high).</summary>
    internal static List<EvalSample> Samples(int count)
    {
        var r = new List<EvalSample>();
        for (int i = 0; i < count; i++)
        {
            int h = 9 + i, w = 11;
            var img = TestData.Images(1, h, w, 100 + i);
            using var s = Tensor.Scope();
            var lab = TestData.SelfLabels(Model, Tensor.FromArray(Device.Cpu, img, 1, 3, h, w), ignoreEvery: 5);
            r.Add(new EvalSample($"img{i}.jpg", img, h, w, lab));
        }
        return r;
    }

    static EvalSettings Settings(string? dir, IAttack? attack = null, AttackProtocol protocol = AttackProtocol.Strong, AttackOptions? o = null) => new()
    {
        Classes = 4, BaseSize = 11, CropH = 9, CropW = 7, Attack = attack, Protocol = protocol,
        AttackOptions = o ?? new AttackOptions { Eps = 8f / 255, Alpha = 2f / 255, Steps = 4, RandomStart = true, Seed = 3 },
        SaveDir = dir,
    };

    static string TempDir() { var d = Path.Combine(Path.GetTempPath(), "rs-eval-" + Guid.NewGuid().ToString("N")); Directory.CreateDirectory(d); return d; }

    [Test]
    public void CleanRunIsNearPerfectAndWritesOutputs()
    {
        var dir = TempDir();
        try
        {
            var ev = new Evaluator(Device.Cpu, Model.Forward) { Log = TextWriter.Null };
            var scores = ev.Run(Samples(2), Settings(dir) with { Flip = true });
            // A per-pixel model evaluated at the label resolution reproduces its own labels.
            Assert.That(scores.AllAccuracy, Is.EqualTo(1.0).Within(1e-6));
            Assert.That(File.ReadAllText(Path.Combine(dir, "metrics.csv")), Does.Contain("MIoU"));
            Assert.That(File.ReadAllLines(Path.Combine(dir, "per_class.csv")), Has.Length.EqualTo(5));
            Assert.That(File.Exists(Path.Combine(dir, "pred", "img0.png")));
            Assert.That(EvalReport.Table(scores), Does.Contain("mIoU/mAcc/allAcc"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void LegacyProtocolIsReproducibleAndHurts()
    {
        var dir = TempDir();
        try
        {
            var ev = new Evaluator(Device.Cpu, Model.Forward) { Log = TextWriter.Null };
            var s = Settings(dir, new Bim(), AttackProtocol.Legacy, AttackOptions.LegacyBim);
            var a = ev.Run(Samples(2), s);
            var b = ev.Run(Samples(2), s);
            Assert.That(a.MeanIoU, Is.EqualTo(b.MeanIoU));
            Assert.That(a.Intersection, Is.EqualTo(b.Intersection));
            Assert.That(a.AllAccuracy, Is.LessThan(1.0));
            Assert.That(File.Exists(Path.Combine(dir, "perturbation", "img1.png")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void StrongProtocolAndBlackBoxTransfer()
    {
        var white = new Evaluator(Device.Cpu, Model.Forward) { Log = TextWriter.Null };
        var strong = white.Run(Samples(2), Settings(null, new Pgd()));
        Assert.That(strong.AllAccuracy, Is.LessThan(1.0));
        // Crafted on an unrelated model, evaluated on the target: weaker than white-box.
        var other = new ToySegModel(classes: 4, hidden: 8, seed: 99);
        var black = new Evaluator(Device.Cpu, Model.Forward, other.Forward) { Log = TextWriter.Null };
        var transfer = black.Run(Samples(2), Settings(null, new Pgd()));
        Assert.That(transfer.AllAccuracy, Is.GreaterThan(strong.AllAccuracy));
    }

    [Test]
    public void StudyToolWritesEveryArtefact()
    {
        var dir = TempDir();
        try
        {
            var img = TestData.Images(1, 8, 9, 1);
            var settings = Settings(null, new Pgd()) with { AttackOptions = new AttackOptions { Steps = 3, Seed = 2 } };
            var study = new AttackStudy { Device = Device.Cpu, Model = Model.Forward, Settings = settings, SaveNpy = true };
            var r = study.Run(img, 8, 9, null, dir);
            Assert.That(r.CleanAccuracy, Is.EqualTo(1.0));
            Assert.That(r.AdvAccuracy, Is.LessThan(1.0));
            foreach (var f in new[] { "adv.png", "perturbation.png", "grad_magnitude.png", "pred_clean.png", "pred_adv.png", "steps.csv",
                         "input.npy", "probs_clean.npy", "grad_step0.npy", "adv.npy", "probs_adv.npy" })
                Assert.That(File.Exists(Path.Combine(dir, f)), f);
            Assert.That(File.ReadAllLines(Path.Combine(dir, "steps.csv")), Has.Length.EqualTo(4));
            var input = RobustSeg.Engine.IO.Npy.Read(Path.Combine(dir, "input.npy"));
            Assert.That(input.Shape, Is.EqualTo(new[] { 1, 3, 8, 9 }));
            // input.npy holds the normalised input: (x * 255 - mean) / std.
            var x0 = img[0];
            Assert.That(input.Data[0], Is.EqualTo((x0 * 255 - 0.485 * 255) / (0.229 * 255)).Within(1e-4));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestCase(AttackProtocol.Strong)]
    [TestCase(AttackProtocol.Legacy)]
    public void StudyToolRunsTheProtocolTestRuns(AttackProtocol protocol)
    {
        // `attack` and `test` share the protocol classes: on one image at its own size, the study's adversarial
        // prediction is the evaluator's prediction under the same settings, pixel for pixel.
        var dir = TempDir();
        try
        {
            var img = TestData.Images(1, 11, 10, 4);
            var label = new int[11 * 10];
            for (int i = 0; i < label.Length; i++) label[i] = i % 7 == 0 ? 255 : i % 4;
            var settings = Settings(null, protocol == AttackProtocol.Legacy ? new Bim() : new Pgd(), protocol) with { BaseSize = 11 };
            var study = new AttackStudy { Device = Device.Cpu, Model = Model.Forward, Settings = settings };
            var r = study.Run(img, 11, 10, label, dir);
            var expected = new Evaluator(Device.Cpu, Model.Forward).Predict(new EvalSample("x", img, 11, 10, label), settings);
            Assert.That(r.AdvPrediction, Is.EqualTo(expected));
            var clean = new Evaluator(Device.Cpu, Model.Forward).Predict(new EvalSample("x", img, 11, 10, label), settings with { Attack = null });
            Assert.That(r.CleanPrediction, Is.EqualTo(clean));
            Assert.That(r.AdvPrediction, Is.Not.EqualTo(clean), "the attack changed nothing: the comparison would be vacuous");
            Assert.That(File.ReadAllLines(Path.Combine(dir, "steps.csv")).Length, Is.GreaterThan(1));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void EvaluationAndAttacksDoNotLeakDeviceMemory()
    {
        var ev = new Evaluator(Device.Cpu, Model.Forward) { Log = TextWriter.Null };
        var samples = Samples(2);
        var runs = new (IAttack Attack, AttackProtocol Protocol)[] {
            (new Pgd(), AttackProtocol.Strong), (new Bim(), AttackProtocol.Legacy), (AttackFactory.DefaultEnsemble(), AttackProtocol.Strong) };
        foreach (var (attack, protocol) in runs)
        {
            var settings = Settings(null, attack, protocol, new AttackOptions { Steps = 3, Eps = 4f / 255, Alpha = 1f / 255 });
            ev.Run(samples, settings); // warm-up: caches
            long before = Device.Cpu.Pool.LiveBytes;
            ev.Run(samples, settings);
            using (Tensor.Scope())
            {
                var x = Tensor.FromArray(Device.Cpu, samples[0].Image01, 1, 3, samples[0].Height, samples[0].Width);
                var y = Tensor.FromArray(Device.Cpu, samples[0].Label, 1, samples[0].Height, samples[0].Width);
                attack.Perturb(Model.Forward, x, y, new AttackContext(settings.AttackOptions));
            }
            Assert.That(Device.Cpu.Pool.LiveBytes, Is.EqualTo(before), attack.Name);
        }
    }
}
