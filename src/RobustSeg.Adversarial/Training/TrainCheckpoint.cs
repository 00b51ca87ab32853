using System.Globalization;
using RobustSeg.Config;
using RobustSeg.Models;
using RobustSeg.Nn;

namespace RobustSeg.Adversarial.Training;

/// <summary>Training checkpoints: the model's state dict (weights, batch-norm statistics) with metadata (model
/// description, epoch, iteration, regime, seed, the resolved config) and the SGD momentum buffers beside it.
/// Loader order and augmentation derive from (seed, epoch) and dropout from (seed, iteration), so these are all
/// the state a resumed run needs to continue bit for bit. Files are written atomically.</summary>
public static class TrainCheckpoint
{
    public const string IterationKey = "iteration";
    public const string RegimeKey = "regime";
    public const string SeedKey = "seed";
    public const string ConfigKey = "config";

    public static string PathFor(string savePath, int epoch) => Path.Combine(savePath, $"train_epoch_{epoch}.safetensors");

    public static void Save(string path, SegmentationModel model, SGD optimizer, RunConfig cfg, int epoch, long iteration)
    {
        var md = new Dictionary<string, string>
        {
            [Nn.IO.Checkpoint.EpochKey] = epoch.ToString(CultureInfo.InvariantCulture),
            [IterationKey] = iteration.ToString(CultureInfo.InvariantCulture),
            [RegimeKey] = cfg.Train.Regime.ToKey(),
            [SeedKey] = cfg.Train.Seed.ToString(CultureInfo.InvariantCulture),
            [ConfigKey] = cfg.ToYaml(),
        };
        ModelFactory.Save(path, model, md, optimizer);
    }

    /// <summary>Restores weights and optimizer state; returns (completed epochs, iterations). The checkpoint must
    /// describe the same model and regime as the config.</summary>
    public static (int Epoch, long Iteration) Load(string path, SegmentationModel model, SGD optimizer, RunConfig cfg)
    {
        if (!File.Exists(path)) throw new ConfigException($"resume: checkpoint not found: {path}");
        var md = Nn.IO.Checkpoint.ReadMetadata(path);
        var saved = ModelConfig.FromMetadata(md, path);
        if (saved with { Seed = 0 } != model.Config with { Seed = 0 })
            throw new ConfigException($"resume: {path} holds {saved.Describe()} but the config builds {model.Config.Describe()}");
        if (md.TryGetValue(RegimeKey, out var r) && r != cfg.Train.Regime.ToKey())
            throw new ConfigException($"resume: {path} was trained with regime {r}, the config says {cfg.Train.Regime.ToKey()}");
        int epoch = int.Parse(Get(md, Nn.IO.Checkpoint.EpochKey, path), CultureInfo.InvariantCulture);
        long iteration = long.Parse(Get(md, IterationKey, path), CultureInfo.InvariantCulture);
        Nn.IO.Checkpoint.Load(path, model, optimizer);
        return (epoch, iteration);
    }

    static string Get(Dictionary<string, string> md, string key, string path) =>
        md.TryGetValue(key, out var v) ? v : throw new ConfigException($"resume: {path} has no '{key}' in its metadata (not a training checkpoint)");
}
