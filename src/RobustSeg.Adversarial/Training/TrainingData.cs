using RobustSeg.Config;
using RobustSeg.Data;
using RobustSeg.Data.Transforms;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Training;

/// <summary>The training loader of a config: semseg's augmentation pipeline, shuffled per epoch from the seed,
/// drop_last, images delivered in [0,1] (the attack's space; the model normalises).</summary>
public static class TrainingData
{
    /// <summary><paramref name="shard"/>: the samples of each global batch this process loads (data-parallel
    /// training); null: all.</summary>
    public static DataLoader TrainLoader(RunConfig cfg, Device device, Func<int[], int[]>? shard = null)
    {
        var t = cfg.Train;
        if (string.IsNullOrWhiteSpace(cfg.Data.TrainList)) throw new ConfigException($"{cfg.Source}: DATA.train_list is empty");
        var dataset = DataConfig.From(cfg).Dataset("train");
        var transform = SemsegTransforms.Train(t.TrainH, t.TrainW, t.ScaleMin, t.ScaleMax, t.RotateMin, t.RotateMax, (byte)t.IgnoreLabel);
        if (dataset.Count < t.BatchSize)
            throw new ConfigException($"{cfg.Source}: TRAIN.batch_size {t.BatchSize} is larger than the training set ({dataset.Count} samples in {cfg.Data.TrainList})");
        return new DataLoader(dataset, transform, device, new DataLoaderOptions
        {
            BatchSize = t.BatchSize, Shuffle = true, DropLast = true, Workers = t.Workers, Seed = (ulong)t.Seed,
            Pixels = PixelScale.Unit, Shard = shard,
        });
    }
}
