using RobustSeg.Config;
using RobustSeg.Data;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Tests;

/// <summary>Tiny models, batches and synthetic datasets for the training tests (small shapes: fast on 2 cores).</summary>
public static class TrainTestSupport
{
    public const int Size = 33;
    public const int Classes = 3;

    public static SegmentationModel TinyModel(Device dev, bool ddcat, string arch = "psp", ulong seed = 3) =>
        ModelFactory.Create(new ModelConfig(arch, 18, Classes, 8, ddcat, 0.125, 0.1f, seed), dev);

    /// <summary>Smooth random images in [0,1] and labels with a few ignored pixels.</summary>
    public static (Tensor Images, Tensor Labels) Batch(Device dev, int n, ulong seed = 7)
    {
        var rng = new Random((int)seed);
        var img = new float[n * 3 * Size * Size];
        var lab = new int[n * Size * Size];
        for (int b = 0; b < n; b++)
        {
            double fx = rng.NextDouble() * 0.3, fy = rng.NextDouble() * 0.3;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < Size; y++)
                    for (int x = 0; x < Size; x++)
                        img[((b * 3 + c) * Size + y) * Size + x] = (float)(0.5 + 0.4 * Math.Sin(fx * x + fy * y + c + b));
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                    lab[(b * Size + y) * Size + x] = (x + y) % 17 == 0 ? 255 : (x * Classes / Size + b) % Classes;
        }
        return (Tensor.FromArray(dev, img, n, 3, Size, Size), Tensor.FromArray(dev, lab, n, Size, Size));
    }

    static readonly object GenLock = new();

    /// <summary>A synthetic dataset (the data helper's generator) in a shared temp folder, generated once.</summary>
    public static string SyntheticRoot()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"robustseg-train-tests-{Environment.ProcessId}", "data");
        lock (GenLock)
        {
            if (!File.Exists(Path.Combine(dir, "train.txt")))
                SyntheticDataset.Generate(dir, new SyntheticOptions { Train = 8, Val = 4, Size = Size, Classes = Classes, Seed = 5 });
        }
        return dir;
    }

    /// <summary>A tiny training config on the synthetic data (2 iterations per epoch).</summary>
    public static RunConfig TinyConfig(string regime, string savePath, int epochs = 3, params string[] extra)
    {
        var root = SyntheticRoot();
        var yaml = $"""
            DATA:
              data_root: '{root}'
              train_list: '{Path.Combine(root, "train.txt")}'
              val_list: '{Path.Combine(root, "val.txt")}'
              classes: {Classes}
            TRAIN:
              arch: psp
              layers: 18
              width: 0.125
              regime: {regime}
              train_h: {Size}
              train_w: {Size}
              scale_min: 0.9
              scale_max: 1.1
              workers: 1
              batch_size: 4
              base_lr: 0.02
              epochs: {epochs}
              manual_seed: 11
              print_freq: 1
              save_freq: 1
              save_path: '{savePath}'
            TEST:
              test_h: {Size}
              test_w: {Size}

            """;
        return RunConfig.Parse(yaml, "tiny.yaml", extra);
    }

    public static string TempDir(string name)
    {
        var d = Path.Combine(Path.GetTempPath(), $"robustseg-train-tests-{Environment.ProcessId}", name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(d);
        return d;
    }
}
