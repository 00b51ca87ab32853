using RobustSeg.Tests;
using NUnit.Framework;
using RobustSeg.Config;

namespace RobustSeg.Config.Tests;

public class ConfigTests
{
    const string Minimal = """
        DATA:
          data_root: d
          train_list: d/list/train.txt
          classes: 5
        TRAIN:
          arch: aspp
          layers: 18
          train_h: 65
          train_w: 65
          base_lr: 0.02
          manual_seed:
          train_gpu: [0, 1]
          regime: sat
          batch_size: 4

        """;

    // Replaces the key's line in Minimal, or appends it to TRAIN.
    static string With(string line)
    {
        var key = line.Trim().Split(':')[0];
        var lines = Minimal.Split('\n').ToList();
        int i = lines.FindIndex(l => l.Trim().StartsWith(key + ":"));
        if (i >= 0) lines[i] = line.TrimEnd('\n');
        else return Minimal + line;
        return string.Join('\n', lines);
    }

    [Test]
    public void ParsesValuesAndKeepsDefaults()
    {
        var c = RunConfig.Parse(Minimal, "mini.yaml");
        Assert.That(c.Data.Classes, Is.EqualTo(5));
        Assert.That(c.Train.Arch, Is.EqualTo("aspp"));
        Assert.That(c.Train.BaseLr, Is.EqualTo(0.02));
        Assert.That(c.Train.ManualSeed, Is.Null);
        Assert.That(c.Train.Seed, Is.EqualTo(0));
        Assert.That(c.Train.TrainGpu, Is.EqualTo(new[] { 0, 1 }));
        Assert.That(c.Train.Regime, Is.EqualTo(Regime.Sat));
        Assert.That(c.Train.UsesDdcAtHeads, Is.False);
        Assert.That(c.Train.AttackEps, Is.EqualTo(0.03));
        Assert.That(c.Train.AttackStep, Is.EqualTo(0.01).Within(1e-12));
        Assert.That(c.Train.AuxWeight, Is.EqualTo(0.4));
        Assert.That(c.Test.Scales, Is.EqualTo(new[] { 1.0 }));
    }

    [Test]
    public void UnknownKeyNamesKeyFileAndSuggestion()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse(Minimal + "  base_lrr: 0.1\n", "bad.yaml"))!;
        Assert.That(e.Message, Does.Contain("bad.yaml").And.Contain("base_lrr").And.Contain("base_lr"));
    }

    [Test]
    public void KeyInWrongSectionIsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse(Minimal + "  test_h: 65\n", "s.yaml"))!;
        Assert.That(e.Message, Does.Contain("test_h").And.Contain("TEST"));
    }

    [Test]
    public void UnknownSectionIsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse("MODEL:\n  x: 1\n", "m.yaml"))!;
        Assert.That(e.Message, Does.Contain("m.yaml").And.Contain("MODEL"));
    }

    [TestCase("  epochs: ten\n", "TRAIN.epochs", "integer")]
    [TestCase("  epochs: 1.5\n", "TRAIN.epochs", "integer")]
    [TestCase("  base_lr: fast\n", "TRAIN.base_lr", "number")]
    [TestCase("  sync_bn: maybe\n", "TRAIN.sync_bn", "true or false")]
    [TestCase("  regime: pgd\n", "TRAIN.regime", "nodefense, sat or ddcat")]
    [TestCase("  train_gpu: 0\n", "TRAIN.train_gpu", "list")]
    [TestCase("  epochs:\n", "TRAIN.epochs", "required")]
    [TestCase("  epochs: '5'\n", "TRAIN.epochs", "quoted")]
    public void WrongTypesNameKeyAndFile(string line, string key, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse(With(line), "t.yaml"))!;
        Assert.That(e.Message, Does.Contain("t.yaml").And.Contain(key).And.Contain(expected));
    }

    [TestCase("  train_h: 64\n", "TRAIN.train_h")]
    [TestCase("  width: 0\n", "TRAIN.width")]
    [TestCase("  batch_size: 1\n", "TRAIN.batch_size")]
    [TestCase("  arch: unet\n", "TRAIN.arch")]
    [TestCase("  ddcat: true\n", "TRAIN.ddcat")]
    [TestCase("  zoom_factor: 4\n", "TRAIN.zoom_factor")]
    [TestCase("  scale_min: 3.0\n", "TRAIN.scale_min")]
    public void InvalidValuesNameKey(string line, string key)
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse(With(line), "v.yaml"))!;
        Assert.That(e.Message, Does.Contain("v.yaml").And.Contain(key));
    }

    [Test]
    public void DuplicateKeyIsAnError()
    {
        Assert.Throws<ConfigException>(() => RunConfig.Parse(Minimal + "  base_lr: 0.5\n", "dup.yaml"));
    }

    [Test]
    public void OverridesByDottedAndFlatNames()
    {
        var c = RunConfig.Parse(Minimal, "o.yaml",
            ["TRAIN.base_lr=0.5", "epochs=3", "manual_seed=7", "train_gpu=[2]", "regime=ddcat", "DATA.data_root=/x y", "weight="]);
        Assert.That(c.Train.BaseLr, Is.EqualTo(0.5));
        Assert.That(c.Train.Epochs, Is.EqualTo(3));
        Assert.That(c.Train.ManualSeed, Is.EqualTo(7));
        Assert.That(c.Train.TrainGpu, Is.EqualTo(new[] { 2 }));
        Assert.That(c.Train.Regime, Is.EqualTo(Regime.DdcAt));
        Assert.That(c.Train.UsesDdcAtHeads, Is.True);
        Assert.That(c.Data.DataRoot, Is.EqualTo("/x y"));
        Assert.That(c.Train.Weight, Is.Null);
        Assert.That(c.Get("base_lr"), Is.EqualTo(0.5));
    }

    [TestCase("nokey", "key=value")]
    [TestCase("TRAIN.nope=1", "unknown key")]
    [TestCase("test_h=abc", "TEST.test_h")]
    [TestCase("TRAIN.test_h=65", "TEST.test_h")]
    [TestCase("base_lr=-1", "TRAIN.base_lr")]
    public void BadOverridesAreErrors(string o, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse(Minimal, "o.yaml", [o]))!;
        Assert.That(e.Message, Does.Contain(expected));
    }

    [Test]
    public void WrittenYamlReadsBackTheSame()
    {
        var c = RunConfig.Parse(Minimal, "rt.yaml", ["save_path=a: b # c", "attack_alpha=0.004", "width=0.5", "base_lr=1"]);
        var back = RunConfig.Parse(c.ToYaml(), "rt2.yaml");
        Assert.That(back.ToYaml(), Is.EqualTo(c.ToYaml()));
        Assert.That(back.Train.SavePath, Is.EqualTo("a: b # c"));
        Assert.That(back.Train.BaseLr, Is.EqualTo(1.0));
        Assert.That(back.Train.AttackAlpha, Is.EqualTo(0.004));
    }

    [Test]
    public void MissingFileIsNamed()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Load("/nonexistent/cfg.yaml"))!;
        Assert.That(e.Message, Does.Contain("/nonexistent/cfg.yaml"));
    }

    static IEnumerable<string> ShippedConfigs() =>
        Directory.GetFiles(Path.Combine(RepoPaths.Root, "config"), "*.yaml", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(RepoPaths.Root, p)).OrderBy(p => p);

    [TestCaseSource(nameof(ShippedConfigs))]
    public void EveryShippedConfigLoads(string rel)
    {
        var c = RunConfig.Load(Path.Combine(RepoPaths.Root, rel));
        var name = Path.GetFileNameWithoutExtension(rel);
        var regime = name.EndsWith("_ddcat") ? Regime.DdcAt : name.EndsWith("_sat") ? Regime.Sat : Regime.NoDefense;
        Assert.That(c.Train.Regime, Is.EqualTo(regime));
        Assert.That(c.Train.Arch, Is.EqualTo(name.Contains("aspp") ? "aspp" : "psp"));
        Assert.That(c.Train.AttackEps, Is.EqualTo(0.03));
        Assert.That(c.Train.AttackSteps, Is.EqualTo(3));
        Assert.That(c.Train.AuxWeight, Is.EqualTo(0.4));
    }

    [Test]
    public void ShippedConfigsHoldTheOriginalValues()
    {
        var dir = Path.Combine(RepoPaths.Root, "config");
        Assert.That(Directory.GetFiles(Path.Combine(dir, "voc2012"), "*.yaml"), Has.Length.EqualTo(6));
        Assert.That(Directory.GetFiles(Path.Combine(dir, "cityscapes"), "*.yaml"), Has.Length.EqualTo(6));
        Assert.That(Directory.GetFiles(Path.Combine(dir, "synthetic"), "*.yaml"), Has.Length.EqualTo(6));
        var voc = RunConfig.Load(Path.Combine(dir, "voc2012", "voc2012_pspnet50_ddcat.yaml"));
        Assert.That((voc.Data.Classes, voc.Train.TrainH, voc.Train.ScaleMin, voc.Train.ScaleMax, voc.Train.Epochs, voc.Train.BatchSize, voc.Test.BaseSize),
            Is.EqualTo((21, 473, 0.5, 2.0, 50, 16, 512)));
        Assert.That(voc.Data.TrainList, Does.EndWith("train_aug.txt"));
        Assert.That((voc.Train.BaseLr, voc.Train.Momentum, voc.Train.WeightDecay, voc.Train.Power), Is.EqualTo((0.01, 0.9, 1e-4, 0.9)));
        var city = RunConfig.Load(Path.Combine(dir, "cityscapes", "cityscapes_aspp_sat.yaml"));
        Assert.That((city.Data.Classes, city.Train.TrainH, city.Train.ScaleMin, city.Train.ScaleMax, city.Train.Epochs, city.Train.BatchSize, city.Test.BaseSize),
            Is.EqualTo((19, 449, 0.25, 1.0, 400, 16, 1024)));
    }
}

/// <summary>The relative-path rule of ConfigPaths and the required keys.</summary>
public class ConfigPathTests
{
    [Test]
    public void FilePathsResolveNextToTheConfigAndSetPathsFromTheWorkingDirectory()
    {
        var dir = Directory.CreateTempSubdirectory("rs-cfgpath-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "data"));
            File.WriteAllText(Path.Combine(dir, "data", "train.txt"), "a b\n");
            File.WriteAllText(Path.Combine(dir, "val.txt"), "a b\n");
            var cfgPath = Path.Combine(dir, "c.yaml");
            File.WriteAllText(cfgPath, "DATA:\n  data_root: data\n  train_list: train.txt\n  val_list: val.txt\n  classes: 3\nTEST:\n  test_list: missing.txt\n");
            var c = RunConfig.Load(cfgPath);
            Assert.That(c.Data.DataRoot, Is.EqualTo(Path.Combine(dir, "data")), "next to the config");
            Assert.That(c.Data.TrainList, Is.EqualTo(Path.Combine(dir, "data", "train.txt")), "a list is also looked up in data_root");
            Assert.That(c.Data.ValList, Is.EqualTo(Path.Combine(dir, "val.txt")));
            Assert.That(c.Test.TestList, Is.EqualTo("missing.txt"), "not found: kept as written, reported when used");
            var e = Assert.Throws<ConfigException>(() => ConfigPaths.RequireFile(c, "TEST.test_list"))!;
            Assert.That(e.Message, Does.Contain("TEST.test_list").And.Contain("missing.txt").And.Contain("c.yaml"));
            // A --set path is the shell's: relative to the working directory, not to the config.
            var s = RunConfig.Load(cfgPath, ["data_root=data"]);
            Assert.That(s.Data.DataRoot, Is.EqualTo("data").Or.EqualTo(Path.GetFullPath("data")));
            Assert.That(s.Data.DataRoot, Is.Not.EqualTo(Path.Combine(dir, "data")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void RequiredKeysCanComeFromSet()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse("DATA:\n  data_root: d\n", "r.yaml"))!;
        Assert.That(e.Message, Does.Contain("DATA.classes is missing").And.Contain("--set"));
        Assert.That(RunConfig.Parse("DATA:\n  data_root: d\n", "r.yaml", ["classes=4"]).Data.Classes, Is.EqualTo(4));
    }

    [TestCase(8, false)]
    [TestCase(9, true)]
    [TestCase(473, true)]
    [TestCase(474, false)]
    public void ModelSideRule(int side, bool ok)
    {
        Assert.That(ModelRules.IsValidSide(side), Is.EqualTo(ok));
        Assert.That(ModelRules.CheckSide(side) is null, Is.EqualTo(ok));
    }
}

/// <summary>config/README.md documents every key of the schema (the doc must stay true as keys are added).</summary>
public class ConfigDocTests
{
    [Test]
    public void EveryKeyIsInTheConfigReadme()
    {
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "README.md"));
        var missing = ConfigKeys.All.Where(k => !doc.Contains($"`{k.FullName}`") && !doc.Contains($"`{k.Name}`")).Select(k => k.FullName).ToList();
        Assert.That(missing, Is.Empty, "keys missing from config/README.md");
    }
}
