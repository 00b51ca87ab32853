using RobustSeg.Tests;
using NUnit.Framework;
using RobustSeg.Cli;
using RobustSeg.Config;

namespace RobustSeg.Cli.Tests;

/// <summary>Every command that reads a config reads it through the one loader: the same file gives the same
/// outcome (the same error line, exit 2) in train, test, attack and data check, and --set works in all of them.</summary>
[NonParallelizable] // the runner swaps Console.Out
public class ConfigAcrossCommandsTests
{
    static string Root => RepoPaths.Root;

    static string[][] Commands(string cfg, params string[] set)
    {
        var sets = set.SelectMany(s => new[] { "--set", s }).ToArray();
        return
        [
            ["train", "--config", cfg, "--device", "cpu", "--quiet", .. sets],
            ["test", "--config", cfg, "--checkpoint", "none.safetensors", "--device", "cpu", .. sets],
            ["attack", "--config", cfg, "--checkpoint", "none.safetensors", "--image", "none.png", "--out", "o", "--device", "cpu", .. sets],
            ["data", "check", "--config", cfg, .. sets],
        ];
    }

    const string Good = "DATA:\n  data_root: d\n  train_list: t.txt\n  val_list: v.txt\n  classes: 3\nTRAIN:\n  arch: psp\n  layers: 18\n  train_h: 33\n  train_w: 33\n  batch_size: 2\nTEST:\n  test_h: 33\n  test_w: 33\n";

    static IEnumerable<TestCaseData> Malformed()
    {
        yield return new TestCaseData(Good.Replace("DATA:\n", "DATA:\n  ignore_label: 255\n"), "it belongs in section TRAIN").SetName("KeyInTheWrongSection");
        yield return new TestCaseData(Good.Replace("  batch_size: 2\n", "  bse_lr: 0.1\n"), "did you mean 'base_lr'").SetName("TypoWithSuggestion");
        yield return new TestCaseData(Good.Replace("TEST:\n", "TSET:\n"), "unknown section 'TSET'").SetName("UnknownSection");
        yield return new TestCaseData(Good.Replace("  classes: 3\n", ""), "DATA.classes is missing").SetName("MissingClasses");
        yield return new TestCaseData(Good.Replace("  test_h: 33\n", "  test_h: 32\n"), "TEST.test_h").SetName("BadCropSide");
        yield return new TestCaseData(Good + "  has_prediction: True\n", "TEST.has_prediction").SetName("UnsupportedKey");
        yield return new TestCaseData(Good.Replace("  arch: psp\n", "  arch: [psp\n"), "not valid YAML").SetName("BrokenYaml");
    }

    [TestCaseSource(nameof(Malformed))]
    public void MalformedConfigGivesTheSameErrorInEveryCommand(string yaml, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("rs-cfgcmd-").FullName;
        try
        {
            var cfg = Path.Combine(dir, "c.yaml");
            File.WriteAllText(cfg, yaml);
            var errors = new List<string>();
            foreach (var args in Commands(cfg))
            {
                var (code, _, err) = CliRunner.Capture(args);
                Assert.That(code, Is.EqualTo(2), $"{args[0]}: {err}");
                Assert.That(err, Does.Contain(expected).And.Contain("c.yaml"), args[0]);
                errors.Add(err.Trim());
            }
            Assert.That(errors.Distinct().Count(), Is.EqualTo(1), string.Join("\n", errors));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void LowercaseSectionsAreReadTheSameWay()
    {
        var a = RunConfig.Parse(Good, "a.yaml");
        var b = RunConfig.Parse(Good.Replace("DATA:", "data:").Replace("TRAIN:", "train:").Replace("TEST:", "test:"), "a.yaml");
        Assert.That(b.ToYaml(), Is.EqualTo(a.ToYaml()));
    }

    [Test]
    public void SetOverridesReachEveryCommand()
    {
        var dir = Directory.CreateTempSubdirectory("rs-cfgset-").FullName;
        try
        {
            var cfg = Path.Combine(dir, "c.yaml");
            File.WriteAllText(cfg, Good);
            // A bad override fails the same way everywhere, so every command applied it.
            foreach (var args in Commands(cfg, "TRAIN.base_lr=-1"))
            {
                var (code, _, err) = CliRunner.Capture(args);
                Assert.That(code, Is.EqualTo(2), args[0]);
                Assert.That(err, Does.Contain("TRAIN.base_lr").And.Contain("must be > 0"), args[0]);
            }
            // data_root given with --set is relative to the working directory and reported by key when missing.
            foreach (var args in Commands(cfg, "data_root=" + Path.Combine(dir, "nowhere")))
            {
                if (args[0] == "attack") continue; // attack reads only the image it is given
                var (code, _, err) = CliRunner.Capture(args);
                Assert.That(code, Is.EqualTo(2), args[0]);
                Assert.That(err, Does.Contain("DATA.").And.Contain("not found"), $"{args[0]}: {err}");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    static IEnumerable<string> ShippedConfigs() =>
        Directory.GetFiles(Path.Combine(Root, "config"), "*.yaml", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p)).OrderBy(p => p);

    [TestCaseSource(nameof(ShippedConfigs))]
    public void ShippedConfigsLoadAndRoundTrip(string rel)
    {
        var c = RunConfig.Load(Path.Combine(Root, rel));
        var back = RunConfig.Parse(c.ToYaml(), c.Source);
        Assert.That(back.ToYaml(), Is.EqualTo(c.ToYaml()));
        // Every command then fails on the missing dataset (none ships), naming a DATA key rather than a config error.
        foreach (var args in Commands(Path.Combine(Root, rel)).Where(a => a[0] is "data" or "train"))
        {
            var (code, _, err) = CliRunner.Capture(args);
            Assert.That(code, Is.EqualTo(2), $"{args[0]}: {err}");
            Assert.That(err, Does.Contain("DATA."), $"{args[0]}: {err}");
        }
    }
}
