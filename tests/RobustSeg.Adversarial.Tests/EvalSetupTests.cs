using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Adversarial.Evaluation.Protocols;
using RobustSeg.Config;
using RobustSeg.Data;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Tests;

/// <summary>What evaluation reads from the one config (TEST keys, the test list and its slice, class names and
/// colours), dataset decoding into evaluation samples, and the protocols (clean, multi-scale, strong) on a toy model.</summary>
public class EvalSetupTests
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
        var cfg = RunConfig.Load(_cfgPath);
        Assert.That((cfg.Test.BaseSize, cfg.Test.TestH, cfg.Test.TestW, cfg.Data.Classes, cfg.Train.IgnoreLabel), Is.EqualTo((33, 25, 17, 4, 255)));
        Assert.That(cfg.Test.SaveFolder, Is.Null);
        var data = DataConfig.From(cfg);
        Assert.That(data.Dataset("val").Count, Is.EqualTo(2));
        Assert.That(data.Dataset("test").Count, Is.EqualTo(2), "an empty TEST.test_list means DATA.val_list");
        Assert.That(data.ClassNames(), Is.EqualTo(new[] { "background", "disc_stripes", "square_checker", "triangle_dots" }),
            "the synthetic dataset's class_names.txt in data_root");
    }

    [Test]
    public void BadCropSizeNamesTheKey()
    {
        var bad = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(bad, File.ReadAllText(_cfgPath).Replace("test_h: 25", "test_h: 24"));
        var e = Assert.Throws<ConfigException>(() => RunConfig.Load(bad));
        Assert.That(e!.Message, Does.Contain("TEST.test_h").And.Contain("24").And.Contain("bad.yaml"));
    }

    [Test]
    public void TestListSliceNamesAndColoursComeFromTheConfig()
    {
        File.WriteAllText(Path.Combine(_dir, "names.txt"), "bg\na\nb\nc\n");
        File.WriteAllText(Path.Combine(_dir, "colors.txt"), "0 0 0\n10 20 30\n40 50 60\n70 80 90\n");
        var cfg = RunConfig.Load(_cfgPath, ["TEST.index_start=1", "TEST.index_step=1",
            "names_path=" + Path.Combine(_dir, "names.txt"), "colors_path=" + Path.Combine(_dir, "colors.txt")]);
        var data = DataConfig.From(cfg);
        var test = data.Dataset("test");
        Assert.That(test.Count, Is.EqualTo(1));
        Assert.That(test.Entries[0].ImagePath, Is.EqualTo(data.Dataset("val").Entries[1].ImagePath));
        Assert.That(data.ClassNames(), Is.EqualTo(new[] { "bg", "a", "b", "c" }));
        Assert.That(data.Palette()[3..6], Is.EqualTo(new byte[] { 10, 20, 30 }));
        var beyond = RunConfig.Load(_cfgPath, ["TEST.index_start=5"]);
        Assert.That(Assert.Throws<ConfigException>(() => DataConfig.From(beyond).Dataset("test"))!.Message, Does.Contain("TEST.index_start"));
        File.WriteAllText(Path.Combine(_dir, "names3.txt"), "bg\na\nb\n");
        var wrong = RunConfig.Load(_cfgPath, ["names_path=" + Path.Combine(_dir, "names3.txt")]);
        Assert.That(Assert.Throws<DataFileException>(() => DataConfig.From(wrong).ClassNames())!.Message, Does.Contain("names3.txt").And.Contain("3 class names"));
    }

    [Test]
    public void ProtocolsOnDatasetSamples()
    {
        var cfg = RunConfig.Load(_cfgPath);
        var samples = DatasetSamples.Enumerate(DataConfig.From(cfg).Dataset("val")).ToList();
        Assert.That(samples, Has.Count.EqualTo(2));
        Assert.That(samples[0].Image01.Max(), Is.LessThanOrEqualTo(1f));
        Assert.That(samples[0].Label.Distinct().All(v => v is >= 0 and < 4 or 255));
        var toy = new ToySegModel(classes: 4, seed: 3);
        var settings = new EvalSettings { Classes = 4, BaseSize = cfg.Test.BaseSize, CropH = cfg.Test.TestH, CropW = cfg.Test.TestW };
        var ev = new Evaluator(Device.Cpu, toy.Forward) { Log = TextWriter.Null };
        var clean = ev.Run(samples, settings);
        var (pgd, o) = AttackSetup.Create("pgd", AttackProtocol.Strong, eps: "8", steps: 3);
        var adv = ev.Run(samples, settings with { Attack = pgd, AttackOptions = o });
        Assert.That(adv.AllAccuracy, Is.LessThanOrEqualTo(clean.AllAccuracy));
        Assert.That(clean.Target.Sum(), Is.GreaterThan(0));

        Assert.That(EvalProtocols.For(settings), Is.TypeOf<CleanProtocol>());
        Assert.That(EvalProtocols.For(settings with { Attack = pgd }), Is.TypeOf<StrongProtocol>());
        Assert.That(EvalProtocols.For(settings with { Attack = pgd, Protocol = AttackProtocol.Legacy }), Is.TypeOf<LegacyProtocol>());
        Assert.Throws<ArgumentException>(() => EvalProtocols.For(settings with { Attack = pgd, Scales = [0.5, 1.0] }));
    }

    [Test]
    public void MultiScaleAveragesTheSingleScaleProbabilities()
    {
        var cfg = RunConfig.Load(_cfgPath);
        var sample = DatasetSamples.Enumerate(DataConfig.From(cfg).Dataset("val")).First();
        var toy = new ToySegModel(classes: 4, seed: 5);
        var s = new EvalSettings { Classes = 4, BaseSize = cfg.Test.BaseSize, CropH = cfg.Test.TestH, CropW = cfg.Test.TestW, Flip = true };
        using var sw = new SlidingWindow(s.CropH, s.CropW, 4, s.Mean255);
        var ctx = new EvalContext(Device.Cpu, toy.Forward, toy.Forward, sw, s);
        using var scope = Tensor.Scope();
        var p05 = new CleanProtocol(0.5).Predict(ctx, sample, 0).Probabilities;
        var p10 = new CleanProtocol(1.0).Predict(ctx, sample, 0).Probabilities;
        var ms = new MultiScaleProtocol([0.5, 1.0]).Predict(ctx, sample, 0).Probabilities;
        Assert.That(ms.Length, Is.EqualTo(4 * sample.Height * sample.Width));
        for (int i = 0; i < ms.Length; i++) Assert.That(ms[i], Is.EqualTo(0.5f * (p05[i] + p10[i])).Within(1e-6f));
        Assert.That(p05.Zip(p10).Any(t => Math.Abs(t.First - t.Second) > 1e-4f), "the scales must differ for the test to mean anything");
        Assert.That(EvalProtocols.For(s with { Scales = [0.5, 1.0] }), Is.TypeOf<MultiScaleProtocol>());
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
        Assert.Throws<UserInputException>(() => AttackSetup.Create("nope", AttackProtocol.Strong));
    }
}
