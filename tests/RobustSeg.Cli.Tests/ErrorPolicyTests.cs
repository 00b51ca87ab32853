using RobustSeg.Tests;
using NUnit.Framework;
using RobustSeg.Cli;
using RobustSeg.Engine;

namespace RobustSeg.Cli.Tests;

/// <summary>The CLI's one error policy: input errors are one line and exit 2; bugs are a stack trace and exit 1.</summary>
[NonParallelizable] // the runner swaps Console.Out
public class ErrorPolicyTests
{
    [Test]
    public void InputErrorsAreUserErrorsAndBugsAreNot()
    {
        Assert.That(CliRunner.IsUserError(new Config.ConfigException("c.yaml: bad")), Is.True);
        Assert.That(CliRunner.IsUserError(new Data.DataFileException("x.png", "corrupt")), Is.True);
        Assert.That(CliRunner.IsUserError(new Nn.StateDictMismatchException("m.safetensors", "PSPNet", ["cls.1.weight"], [], [])), Is.True);
        Assert.That(CliRunner.IsUserError(new FileNotFoundException("nope")), Is.True);
        Assert.That(CliRunner.IsUserError(new InvalidDataException("bad header")), Is.True);
        Assert.That(CliRunner.IsUserError(new ArgumentException("shape mismatch inside an op")), Is.False, "a bare ArgumentException is a bug");
        Assert.That(CliRunner.IsUserError(new InvalidOperationException("bug")), Is.False);
        Assert.That(CliRunner.IsUserError(new NullReferenceException()), Is.False);
        Assert.That(CliRunner.IsUserError(new AggregateException(new DataFileException2())), Is.True, "wrappers count by what they wrap");
    }

    sealed class DataFileException2() : Data.DataFileException("y.png", "truncated");

    [Test]
    public void UserErrorIsOneLineAndExit2()
    {
        var (code, _, err) = CliRunner.Capture("test", "--config", "/nonexistent/dir/cfg.yaml", "--checkpoint", "x.safetensors");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.StartWith("error: ").And.Contain("/nonexistent/dir/cfg.yaml"));
    }

    [Test]
    public void MissingBackboneWeightsNameTheKeyAndWhereToGetThem()
    {
        var dir = Path.Combine(Path.GetTempPath(), "rs-bbw-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Assert.That(CliRunner.Capture("data", "synth", "--out", dir, "--train", "4", "--val", "1", "--size", "33").Code, Is.EqualTo(0));
            var cfg = Path.Combine(RepoPaths.Root, "config", "synthetic", "synthetic_psp18_nodefense.yaml");
            var (code, _, err) = CliRunner.Capture("train", "--config", cfg, "--set", $"data_root={dir}", "--set", $"save_path={dir}/m",
                "--set", "backbone_weights=/nonexistent/initmodel/resnet50_v2.pth", "--set", "batch_size=2", "--set", "train_h=33", "--set", "train_w=33", "--device", "cpu");
            Assert.That(code, Is.EqualTo(2), err);
            Assert.That(err, Does.Contain("TRAIN.backbone_weights").And.Contain("/nonexistent/initmodel/resnet50_v2.pth").And.Contain("import --backbone"));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Test]
    public void BugIsAStackTraceAndExit1()
    {
        var root = new System.CommandLine.RootCommand("t");
        var boom = new System.CommandLine.Command("boom");
        boom.SetAction(new Func<System.CommandLine.ParseResult, int>(_ => throw new InvalidOperationException("an internal invariant broke")));
        root.Subcommands.Add(boom);
        var (o, e) = (Console.Out, Console.Error);
        var se = new StringWriter();
        Console.SetError(se);
        int code;
        try { code = CliRunner.Run(root, ["boom"]); }
        finally { Console.SetOut(o); Console.SetError(e); }
        Assert.That(code, Is.EqualTo(1));
        Assert.That(se.ToString(), Does.Contain("internal error").And.Contain("an internal invariant broke").And.Contain(" at "));
    }
}
