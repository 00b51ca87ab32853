using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Data;
using RobustSeg.Data.Transforms;
using RobustSeg.Tests;

namespace RobustSeg.Adversarial.Tests;

/// <summary>TEST.test_resize: the original's Cityscapes test resizes image (bilinear) and label (nearest) to 1024x512
/// and scores there; here on a tiny synthetic dataset at 17x9.</summary>
public class TestResizeTests
{
    [Test]
    public void SamplesAreScoredAtTheConfiguredSize()
    {
        var cfg = TrainTestSupport.TinyConfig("nodefense", TrainTestSupport.TempDir("resize"), 1);
        cfg.Test.TestResize = [17, 9];
        var ds = DataConfig.From(cfg).Dataset("val");
        var plain = DatasetSamples.Enumerate(ds).ToList();
        var resized = DatasetSamples.Enumerate(ds, resize: cfg.Test.TestResize).ToList();
        Assert.That(resized, Has.Count.EqualTo(plain.Count));
        for (int i = 0; i < plain.Count; i++)
        {
            var (p, r) = (plain[i], resized[i]);
            Assert.That((r.Width, r.Height, r.Image01.Length, r.Label.Length), Is.EqualTo((17, 9, 3 * 17 * 9, 17 * 9)));
            Assert.That(r.Label, Is.EqualTo(Resampling.ResizeNearestPlane(p.Label, p.Height, p.Width, 9, 17)));
            Assert.That(r.Image01, Is.EqualTo(Resampling.ResizeBilinearPlanar(p.Image01, 3, p.Height, p.Width, 9, 17)));
        }

        // Scored pixels are the resized labels' non-ignored pixels, not the original ones.
        var model = new ToySegModel(classes: TrainTestSupport.Classes, hidden: 4, seed: 2);
        var settings = new EvalSettings { Classes = TrainTestSupport.Classes, BaseSize = 17, CropH = 9, CropW = 9 };
        var ev = new Evaluator(Device.Cpu, model.Forward) { Log = TextWriter.Null };
        var scores = ev.Run(resized, settings);
        long valid = resized.Sum(s => (long)s.Label.Count(l => l != 255));
        Assert.That(scores.Target.Sum(), Is.EqualTo(valid));
        Assert.That(valid, Is.LessThan(plain.Sum(s => (long)s.Label.Count(l => l != 255))));
    }

    [Test]
    public void ShippedCityscapesConfigsResizeAndVocDoesNot()
    {
        foreach (var f in Directory.GetFiles(Path.Combine(RepoPaths.Root, "config", "cityscapes"), "*.yaml"))
            Assert.That(Config.RunConfig.Load(f).Test.TestResize, Is.EqualTo(new[] { 1024, 512 }), f);
        foreach (var f in Directory.GetFiles(Path.Combine(RepoPaths.Root, "config", "voc2012"), "*.yaml"))
            Assert.That(Config.RunConfig.Load(f).Test.TestResize, Is.Empty, f);
    }
}
