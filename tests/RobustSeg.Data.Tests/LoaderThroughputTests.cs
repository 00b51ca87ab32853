using System.Diagnostics;
using RobustSeg.Engine;

namespace RobustSeg.Data.Tests;

/// <summary>Throughput figures of decode + semseg training augmentation on VOC-sized images (500x375 JPEG, crop
/// 473). Explicit: run with --filter "FullyQualifiedName~Throughput"; it prints, it asserts nothing about time.</summary>
[Explicit]
public class LoaderThroughputTests
{
    [Test]
    public void VocSizedTrainPipeline()
    {
        using var t = new TempDir();
        var entries = new List<SampleEntry>();
        for (int i = 0; i < 24; i++)
        {
            var (img, lab) = SyntheticDataset.RenderSample(new SyntheticOptions { Size = 377, Seed = (ulong)i }, 0, i);
            var crop = new Sample(img, lab);
            new Crop(375, 377 - 2).Apply(crop, new ScriptedRng());
            new Resize(375, 500).Apply(crop, new ScriptedRng());
            ImageIO.WriteJpeg(t[$"{i}.jpg"], crop.Image);
            PngLabelWriter.WritePalette(t[$"{i}.png"], crop.Label!, Palettes.Voc);
            entries.Add(new SampleEntry(t[$"{i}.jpg"], t[$"{i}.png"]));
        }
        var ds = new SegDataset(entries);
        foreach (int workers in new[] { 0, 1, 2 })
        {
            var loader = new DataLoader(ds, SemsegTransforms.Train(473, 473, 0.5, 2.0), Device.Cpu,
                new DataLoaderOptions { BatchSize = 4, Workers = workers, Seed = 1, Pixels = PixelScale.Unit });
            foreach (var b in loader.Epoch(0)) b.Dispose(); // warm-up
            var sw = Stopwatch.StartNew();
            int n = 0;
            for (int e = 1; e <= 2; e++)
                foreach (var b in loader.Epoch(e)) { n += b.Count; b.Dispose(); }
            TestContext.Out.WriteLine($"workers {workers}: {n / sw.Elapsed.TotalSeconds:F1} samples/s (500x375 JPEG -> scale/rotate/blur/flip/crop 473)");
        }
    }
}

[Explicit]
public class TransformTimingTests
{
    [Test]
    public void PerTransformMilliseconds()
    {
        var img = Make.Image(750, 1000, (y, x) => (x * 3 + y) % 255);
        var lab = new LabelMap(750, 1000);
        (string, ISegTransform, double)[] steps =
        [
            ("RandScale 1.5", new RandScale(1.5, 1.5), 0),
            ("RandRotate", new RandRotate(5, 5, ImageNet.Mean255), 0.1),
            ("GaussianBlur", new RandomGaussianBlur(), 0.1),
            ("Flip", new RandomHorizontalFlip(), 0.1),
            ("Crop 473", new Crop(473, 473, CropType.Center), 0),
        ];
        foreach (var (name, t, p) in steps)
        {
            var best = double.MaxValue;
            for (int rep = 0; rep < 4; rep++)
            {
                var s = new Sample(img, lab);
                var sw = Stopwatch.StartNew();
                t.Apply(s, new ScriptedRng(p, 0.5, 0.5));
                best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
            }
            TestContext.Out.WriteLine($"{name}: {best:F1} ms on 1000x750");
        }
        var sw2 = Stopwatch.StartNew();
        using var t2 = new TempDir();
        ImageIO.WriteJpeg(t2["a.jpg"], Make.Image(375, 500, (y, x) => (x * 3 + y) % 255));
        for (int i = 0; i < 3; i++) ImageIO.ReadRgb(t2["a.jpg"]);
        sw2.Restart();
        for (int i = 0; i < 5; i++) ImageIO.ReadRgb(t2["a.jpg"]);
        TestContext.Out.WriteLine($"JPEG decode 500x375: {sw2.Elapsed.TotalMilliseconds / 5:F1} ms");
    }
}
