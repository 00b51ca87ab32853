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
            var (code, output, err) = CliRunner.Capture("reproduce", "--quick", "--work-dir", dir, "--seeds", "2");
            Assert.That(code, Is.EqualTo(0), err);
            var csv = File.ReadAllLines(Path.Combine(dir, "results.csv"));
            Assert.That(csv[0], Does.StartWith("arch,regime,seed,clean_miou,legacy_bim_miou,strong_miou"));
            // Seed-major: every regime once per seed, seeds 1 and 2 (--seed defaults to 1).
            Assert.That(csv.Skip(1).Select(l => l.Split(',')[1] + "/" + l.Split(',')[2]),
                Is.EqualTo(new[] { "nodefense/1", "sat/1", "ddcat/1", "nodefense/2", "sat/2", "ddcat/2" }));
            foreach (var line in csv.Skip(1))
            {
                var f = line.Split(',');
                foreach (var i in new[] { 3, 4, 5 })
                    Assert.That(double.Parse(f[i], System.Globalization.CultureInfo.InvariantCulture), Is.InRange(0.0, 1.0), line);
            }
            var summary = File.ReadAllLines(Path.Combine(dir, "summary.csv"));
            Assert.That(summary, Has.Length.EqualTo(4));
            Assert.That(summary.Skip(1).Select(l => l.Split(',')[2]), Is.All.EqualTo("2"), "each regime's summary counts both seeds");
            Assert.That(Directory.Exists(Path.Combine(dir, "psp_ddcat_seed2")), "each seed trains in its own folder");
            Assert.That(output, Does.Contain("means over 2 seeds"));
            var md = File.ReadAllText(Path.Combine(dir, "results.md"));
            Assert.That(md, Does.Contain("| psp | ddcat |").And.Contain("DDC-AT"));
            Assert.That(md, Does.Contain("data: train=24 val=6 size=33"), "results.md names the data it was measured on");
            Assert.That(output, Does.Contain("clean mIoU").And.Contain("legacy BIM mIoU"));
            Assert.That(err, Does.Contain("ETA"), "training shows progress with an ETA");
            // report.html: every picture it references is a file beside it; the gallery pictures the first seed's 3 models.
            var html = File.ReadAllText(Path.Combine(dir, "report.html"));
            var srcs = System.Text.RegularExpressions.Regex.Matches(html, "<img src=\"([^\"]+)\"").Select(m => Uri.UnescapeDataString(m.Groups[1].Value)).ToList();
            foreach (var src in srcs) Assert.That(File.Exists(Path.Combine(dir, src)), Is.True, src);
            Assert.That(srcs, Does.Contain("robustness.png").And.Contain("psp_ddcat_seed2/model/curves.png"));
            Assert.That(srcs.Count(s => s.EndsWith("_strong_pert.png")), Is.EqualTo(3 * 4), "3 models x 4 gallery images");
            // robustness.csv: per model clean, legacy BIM and strong PGD.
            var rob = File.ReadAllLines(Path.Combine(dir, "robustness.csv"));
            Assert.That(rob.Length - 1, Is.EqualTo(6 * 3));
            Assert.That(rob[1..4].Select(l => string.Join('/', l.Split(',')[..2])), Is.EqualTo(new[] { "psp_nodefense_seed1/none", "psp_nodefense_seed1/bim (legacy)", "psp_nodefense_seed1/pgd (strong)" }));
            // The trained checkpoints serve the evaluation and study commands end to end.
            var model = Path.Combine(dir, "psp_ddcat_seed1", "model");
            var ckpt = Path.Combine(model, "train_epoch_1.safetensors");
            var cfg = Path.Combine(model, "config.yaml");
            var evalDir = Path.Combine(dir, "test_out");
            var t = CliRunner.Capture("test", "--config", cfg, "--checkpoint", ckpt, "--attack", "bim", "--protocol", "legacy",
                "--save-dir", evalDir, "--limit", "2", "--device", "cpu",
                "--source-checkpoint", Path.Combine(dir, "psp_nodefense_seed1", "model", "train_epoch_1.safetensors"));
            Assert.That(t.Code, Is.EqualTo(0), t.Err);
            Assert.That(t.Out, Does.Contain("mIoU"));
            Assert.That(File.Exists(Path.Combine(evalDir, "metrics.csv")) && File.Exists(Path.Combine(evalDir, "per_class.csv")), Is.True);
            var image = Directory.GetFiles(Path.Combine(dir, "data", "JPEGImages")).OrderBy(f => f).First();
            var study = Path.Combine(dir, "study");
            var a = CliRunner.Capture("attack", "--config", cfg, "--checkpoint", ckpt, "--image", image, "--attack", "pgd",
                "--eps", "8/255", "--steps", "2", "--out", study, "--save-npy", "--device", "cpu");
            Assert.That(a.Code, Is.EqualTo(0), a.Err);
            Assert.That(File.ReadAllLines(Path.Combine(study, "steps.csv")).Length, Is.GreaterThanOrEqualTo(3));
            foreach (var npy in new[] { "input.npy", "probs_clean.npy", "grad_step0.npy", "adv.npy", "probs_adv.npy" })
                Assert.That(File.Exists(Path.Combine(study, npy)), Is.True, npy);

            // A second run reuses the generated data; one that asks for other data regenerates it.
            var again = CliRunner.Capture("reproduce", "--quick", "--work-dir", dir, "--regimes", "nodefense", "--seeds", "1");
            Assert.That(again.Code, Is.EqualTo(0), again.Err);
            Assert.That(again.Err, Does.Contain("using the synthetic dataset"));
            var other = CliRunner.Capture("reproduce", "--quick", "--work-dir", dir, "--regimes", "nodefense", "--seeds", "1", "--class-saturation", "0.5");
            Assert.That(other.Code, Is.EqualTo(0), other.Err);
            Assert.That(other.Err, Does.Contain("was made with other options; regenerating"));
            Assert.That(File.ReadAllText(Path.Combine(dir, "data", "data.yaml")), Does.Contain("class_saturation=0.5"));
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
