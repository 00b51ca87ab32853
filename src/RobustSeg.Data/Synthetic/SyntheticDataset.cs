using RobustSeg.Engine.IO;
using System.Globalization;
using RobustSeg.Data.Transforms;

namespace RobustSeg.Data;

/// <summary>What <see cref="SyntheticDataset.Generate"/> wrote.</summary>
public sealed record SyntheticDatasetInfo(string Root, string TrainList, string ValList, string ConfigPath,
    int Classes, string[] ClassNames, int TrainCount, int ValCount);

/// <summary>The project's embedded dataset, written in the VOC layout so the real loaders read it:
/// JPEGImages/*.jpg, SegmentationClass/*.png (VOC palette, 255 boundary band), ImageSets/Segmentation/{train,val}.txt,
/// plus semseg list files train.txt / val.txt, class_names.txt and data.yaml (a DATA section for
/// `robustseg data check --config` and the training configs). Every image derives from (seed, split, index) only,
/// so the output is identical for a seed whatever the thread count.</summary>
public static class SyntheticDataset
{
    public static SyntheticDatasetInfo Generate(string outDir, SyntheticOptions options)
    {
        options.Validate();
        var root = Path.GetFullPath(outDir);
        Directory.CreateDirectory(Path.Combine(root, "JPEGImages"));
        Directory.CreateDirectory(Path.Combine(root, "SegmentationClass"));
        Directory.CreateDirectory(Path.Combine(root, "ImageSets", "Segmentation"));

        var train = WriteSplit(root, "train", 0, options.Train, options);
        var val = WriteSplit(root, "val", 1, options.Val, options);

        var names = SyntheticScene.ClassNames(options.Classes);
        AtomicFile.WriteAllText(Path.Combine(root, "class_names.txt"), string.Concat(names.Select(n => n + "\n")));
        var config = Path.Combine(root, "data.yaml");
        AtomicFile.WriteAllText(config,
            "# Synthetic dataset written by `robustseg data synth`; paths are relative to this file's folder.\n" +
            $"# options: {options.Describe()}\n" +
            "DATA:\n  data_root: .\n  train_list: train.txt\n  val_list: val.txt\n" +
            $"  classes: {options.Classes.ToString(CultureInfo.InvariantCulture)}\n  label_format: index\n");
        return new SyntheticDatasetInfo(root, train, val, config, options.Classes, names, options.Train, options.Val);
    }

    /// <summary>The image and label of one sample, without touching the disk.</summary>
    public static (RgbImage Image, LabelMap Label) RenderSample(SyntheticOptions options, int split, int index) =>
        SyntheticScene.Render(options, SampleRng.For(options.Seed, 0x5_1A7 + split, index));

    static string WriteSplit(string root, string split, int splitId, int count, SyntheticOptions o)
    {
        var names = Enumerable.Range(0, count).Select(i => $"{split}_{i:D5}").ToArray();
        Parallel.For(0, count, i =>
        {
            var (img, lab) = RenderSample(o, splitId, i);
            ImageIO.WriteJpeg(Path.Combine(root, "JPEGImages", names[i] + ".jpg"), img, o.JpegQuality);
            PngLabelWriter.WritePalette(Path.Combine(root, "SegmentationClass", names[i] + ".png"), lab, Palettes.Voc);
        });
        AtomicFile.WriteAllText(Path.Combine(root, "ImageSets", "Segmentation", split + ".txt"), string.Concat(names.Select(n => n + "\n")));
        var list = Path.Combine(root, split + ".txt");
        ListFile.Write(list, names.Select(n => ($"JPEGImages/{n}.jpg", (string?)$"SegmentationClass/{n}.png")));
        return list;
    }
}
