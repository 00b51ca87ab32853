using RobustSeg.Adversarial.Config;
using RobustSeg.Data;
using RobustSeg.Data.Transforms;
using RobustSeg.Engine;
using YamlDotNet.RepresentationModel;

namespace RobustSeg.Adversarial.Training;

/// <summary>The training loader of a config: semseg's augmentation pipeline, shuffled per epoch from the seed,
/// drop_last, images delivered in [0,1] (the attack's space; the model normalises).</summary>
public static class TrainingData
{
    /// <summary>The data helper's DataConfig for the DATA section (its path resolution: relative to the config
    /// file's folder when that exists, else the working directory).</summary>
    public static DataConfig DataConfigOf(RunConfig cfg)
    {
        var d = cfg.Data;
        if (string.IsNullOrWhiteSpace(d.DataRoot)) throw new ConfigException($"{cfg.Source}: DATA.data_root is empty");
        var map = new YamlMappingNode
        {
            { "data_root", d.DataRoot },
            { "classes", d.Classes.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            { "label_format", d.LabelFormat },
            { "ignore_label", cfg.Train.IgnoreLabel.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        if (!string.IsNullOrWhiteSpace(d.TrainList)) map.Add("train_list", d.TrainList);
        if (!string.IsNullOrWhiteSpace(d.ValList)) map.Add("val_list", d.ValList);
        if (d.MaxPixels is { } mp) map.Add("max_pixels", mp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var source = File.Exists(cfg.Source) ? cfg.Source : Path.Combine(Directory.GetCurrentDirectory(), "config.yaml");
        try { return DataConfig.FromMapping(map, source); }
        catch (InvalidDataException e) { throw new ConfigException(e.Message); }
    }

    public static DataLoader TrainLoader(RunConfig cfg, Device device)
    {
        var t = cfg.Train;
        if (string.IsNullOrWhiteSpace(cfg.Data.TrainList)) throw new ConfigException($"{cfg.Source}: DATA.train_list is empty");
        var dataset = DataConfigOf(cfg).Dataset("train");
        var transform = SemsegTransforms.Train(t.TrainH, t.TrainW, t.ScaleMin, t.ScaleMax, t.RotateMin, t.RotateMax, (byte)t.IgnoreLabel);
        if (dataset.Count < t.BatchSize)
            throw new ConfigException($"{cfg.Source}: TRAIN.batch_size {t.BatchSize} is larger than the training set ({dataset.Count} samples in {cfg.Data.TrainList})");
        return new DataLoader(dataset, transform, device, new DataLoaderOptions
        {
            BatchSize = t.BatchSize, Shuffle = true, DropLast = true, Workers = t.Workers, Seed = (ulong)t.Seed,
            Pixels = PixelScale.Unit,
        });
    }
}
