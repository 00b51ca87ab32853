using NUnit.Framework;
using RobustSeg.Cli;

namespace RobustSeg.Cli.Tests;

[NonParallelizable]
public class ReproduceTests
{
    [Test]
    public void QuickRunTrainsTheThreeRegimesAndWritesTheTable()
    {
        var dir = Path.Combine(Path.GetTempPath(), "robustseg-reproduce-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var (code, output, err) = CliRunner.Capture("reproduce", "--quick", "--work-dir", dir);
            Assert.That(code, Is.EqualTo(0), err);
            var csv = File.ReadAllLines(Path.Combine(dir, "results.csv"));
            Assert.That(csv[0], Does.StartWith("arch,regime,clean_miou,legacy_bim_miou,strong_miou"));
            Assert.That(csv.Skip(1).Select(l => l.Split(',')[1]), Is.EqualTo(new[] { "nodefense", "sat", "ddcat" }));
            foreach (var line in csv.Skip(1))
            {
                var f = line.Split(',');
                foreach (var i in new[] { 2, 3, 4 })
                    Assert.That(double.Parse(f[i], System.Globalization.CultureInfo.InvariantCulture), Is.InRange(0.0, 1.0), line);
            }
            var md = File.ReadAllText(Path.Combine(dir, "results.md"));
            Assert.That(md, Does.Contain("| psp | ddcat |").And.Contain("DDC-AT"));
            Assert.That(output, Does.Contain("clean mIoU").And.Contain("legacy BIM mIoU"));
            Assert.That(err, Does.Contain("ETA"), "training shows progress with an ETA");
            // A second run reuses the generated data.
            var again = CliRunner.Capture("reproduce", "--quick", "--work-dir", dir, "--regimes", "nodefense");
            Assert.That(again.Code, Is.EqualTo(0), again.Err);
            Assert.That(again.Err, Does.Contain("using the synthetic dataset"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void UnknownArchIsAClearError()
    {
        var (code, _, err) = CliRunner.Capture("reproduce", "--arch", "unet", "--quick");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--arch: expected psp or aspp"));
    }
}
