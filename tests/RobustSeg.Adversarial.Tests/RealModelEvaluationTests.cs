using RobustSeg.Adversarial.Loading;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Config;
using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Data;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Tests;

/// <summary>The evaluation path on a real (tiny, randomly initialised) PSPNet and the synthetic dataset:
/// checkpoint loading, dataset decoding, legacy reproducibility, strong attacks hurting.</summary>
public class RealModelEvaluationTests
{
    string _dir = "";
    string _ckpt = "";
    RunConfig _cfg = null!;
    SegDataset _ds = null!;

    [OneTimeSetUp]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "rs-real-" + Guid.NewGuid().ToString("N"));
        var info = SyntheticDataset.Generate(Path.Combine(_dir, "data"), new SyntheticOptions { Train = 1, Val = 2, Size = 33, Classes = 4, Seed = 5 });
        _ds = SegDataset.FromList(info.ValList, info.Root);
        _cfg = RunConfig.Parse($"""
            DATA:
              data_root: {info.Root}
              val_list: {info.ValList}
              classes: 4
            TRAIN:
              arch: psp
              layers: 18
              width: 0.125
            TEST:
              base_size: 33
              test_h: 25
              test_w: 25
            """, "test-config");
        _ckpt = Path.Combine(_dir, "m.safetensors");
        using var m = ModelFactory.Create(new ModelConfig("psp", 18, 4, 8, false, 0.125, Seed: 3), Device.Cpu);
        ModelFactory.Save(_ckpt, m);
    }

    [OneTimeTearDown]
    public void TearDown() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    EvalSettings Settings(IAttack? a, AttackProtocol p, AttackOptions o) => new()
    {
        Classes = 4, BaseSize = _cfg.Test.BaseSize, CropH = _cfg.Test.TestH, CropW = _cfg.Test.TestW, Attack = a, Protocol = p, AttackOptions = o,
    };

    [Test]
    public void LegacyIsReproducibleAndAttacksHurt()
    {
        using var model = ModelLoader.LoadForEval(_ckpt, _cfg, Device.Cpu);
        Assert.That(model.IsTraining, Is.False);
        var ev = new Evaluator(Device.Cpu, ModelLoader.AsForward(model)) { Log = TextWriter.Null };
        var cleanSettings = Settings(null, AttackProtocol.Strong, new AttackOptions());
        // The model's own clean predictions as labels: clean accuracy 1, so any flip shows.
        var samples = DatasetSamples.Enumerate(_ds).Select((s, i) => s with { Label = ev.Predict(s, cleanSettings, i) }).ToList();
        Assert.That(ev.Run(samples, cleanSettings).AllAccuracy, Is.EqualTo(1.0).Within(1e-9));
        var (bim, lo) = AttackSetup.Create("bim", AttackProtocol.Legacy);
        var l1 = ev.Run(samples, Settings(bim, AttackProtocol.Legacy, lo));
        var l2 = ev.Run(samples, Settings(bim, AttackProtocol.Legacy, lo));
        Assert.That(l1.Intersection, Is.EqualTo(l2.Intersection));
        Assert.That(l1.Union, Is.EqualTo(l2.Union));
        Assert.That(l1.AllAccuracy, Is.LessThan(1.0));
        var (pgd, po) = AttackSetup.Create("pgd", AttackProtocol.Strong, eps: "8/255", steps: 3);
        Assert.That(ev.Run(samples, Settings(pgd, AttackProtocol.Strong, po)).AllAccuracy, Is.LessThan(1.0));
    }

    [Test]
    public void ClassCountMismatchIsAClearError()
    {
        var cfg = _cfg.Clone();
        cfg.Set("DATA.classes=5");
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.LoadForEval(_ckpt, cfg, Device.Cpu));
        Assert.That(e!.Message, Does.Contain("4 classes"));
    }
}
