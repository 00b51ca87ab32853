using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Data;

namespace RobustSeg.Adversarial.Tests;

/// <summary>The narrow config reader, the model seam, and dataset decoding into evaluation samples
/// (synthetic dataset, toy model behind the seam).</summary>
public class EvalConfigTests
{
    string _dir = "";
    string _cfgPath = "";

    [OneTimeSetUp]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "rs-evalcfg-" + Guid.NewGuid().ToString("N"));
        var info = SyntheticDataset.Generate(Path.Combine(_dir, "data"), new SyntheticOptions { Train = 1, Val = 2, Size = 33, Classes = 4, Seed = 2 });
        _cfgPath = Path.Combine(_dir, "cfg.yaml");
        File.WriteAllText(_cfgPath, $"""
            DATA:
              data_root: {info.Root}
              val_list: {info.ValList}
              classes: 4
            TRAIN:
              ignore_label: 255
            TEST:
              base_size: 33
              test_h: 25
              test_w: 17
              save_folder:
            """);
    }

    [OneTimeTearDown]
    public void TearDown() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    [Test]
    public void ReadsTestKeysAndDataSection()
    {
        var cfg = EvalConfig.Load(_cfgPath);
        Assert.That((cfg.BaseSize, cfg.TestH, cfg.TestW, cfg.Classes, cfg.IgnoreLabel), Is.EqualTo((33, 25, 17, 4, 255)));
        Assert.That(cfg.SaveFolder, Is.Null);
        Assert.That(cfg.Data.Dataset("val").Count, Is.EqualTo(2));
    }

    [Test]
    public void BadCropSizeNamesTheKey()
    {
        var bad = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(bad, File.ReadAllText(_cfgPath).Replace("test_h: 25", "test_h: 24"));
        var e = Assert.Throws<InvalidDataException>(() => EvalConfig.Load(bad));
        Assert.That(e!.Message, Does.Contain("TEST.test_h = 24"));
    }

    [Test]
    public void ModelSeamChecksClassesAndEvaluatesDatasetSamples()
    {
        var cfg = EvalConfig.Load(_cfgPath);
        var ckpt = Path.Combine(_dir, "fake.ckpt");
        File.WriteAllText(ckpt, "toy");
        var previous = EvalModelSource.Loader;
        try
        {
            EvalModelSource.Loader = null;
            Assert.Throws<NotSupportedException>(() => EvalModelSource.Load(ckpt, _cfgPath, cfg, Device.Cpu));
            EvalModelSource.Loader = (_, _, _, _) => new LoadedEvalModel(new ToySegModel(classes: 3).Forward, 3, "toy3");
            var e = Assert.Throws<InvalidDataException>(() => EvalModelSource.Load(ckpt, _cfgPath, cfg, Device.Cpu));
            Assert.That(e!.Message, Does.Contain("3 classes"));
            var toy = new ToySegModel(classes: 4, seed: 3);
            EvalModelSource.Loader = (_, _, _, _) => new LoadedEvalModel(toy.Forward, 4, "toy4");
            using var m = EvalModelSource.Load(ckpt, _cfgPath, cfg, Device.Cpu);
            var samples = DatasetSamples.Enumerate(cfg.Data.Dataset("val")).ToList();
            Assert.That(samples, Has.Count.EqualTo(2));
            Assert.That(samples[0].Image01.Max(), Is.LessThanOrEqualTo(1f));
            Assert.That(samples[0].Label.Distinct().All(v => v is >= 0 and < 4 or 255));
            var settings = new EvalSettings { Classes = 4, BaseSize = cfg.BaseSize, CropH = cfg.TestH, CropW = cfg.TestW };
            var clean = new Evaluator(Device.Cpu, m.Forward) { Log = TextWriter.Null }.Run(samples, settings);
            var (pgd, o) = AttackSetup.Create("pgd", AttackProtocol.Strong, eps: "8", steps: 3);
            var adv = new Evaluator(Device.Cpu, m.Forward) { Log = TextWriter.Null }.Run(samples, settings with { Attack = pgd, AttackOptions = o });
            Assert.That(adv.AllAccuracy, Is.LessThanOrEqualTo(clean.AllAccuracy));
            Assert.That(clean.Target.Sum(), Is.GreaterThan(0));
        }
        finally { EvalModelSource.Loader = previous; }
    }

    [Test]
    public void ProtocolDefaults()
    {
        var (bim, lo) = AttackSetup.Create("bim", AttackProtocol.Legacy);
        Assert.That(bim, Is.TypeOf<Bim>());
        Assert.That((lo.Eps, lo.Alpha, lo.Steps, lo.RandomStart), Is.EqualTo((0.03f, 0.01f, 2, false)));
        var (apgd, ao) = AttackSetup.Create("apgd", AttackProtocol.Strong, eps: "4/255");
        Assert.That(apgd, Is.TypeOf<Apgd>());
        Assert.That((ao.Eps, ao.Alpha, ao.Steps, ao.RandomStart), Is.EqualTo((4f / 255, 1f / 255, 100, true)));
        Assert.That(AttackSetup.Create("none", AttackProtocol.Strong).Attack, Is.Null);
        Assert.Throws<ArgumentException>(() => AttackSetup.Create("nope", AttackProtocol.Strong));
    }
}
