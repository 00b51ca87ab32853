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
