namespace RobustSeg.Config;

/// <summary>DATA: where the dataset and its list files are. Relative paths follow <see cref="ConfigPaths"/>.</summary>
public sealed class DataSection
{
    [ConfigKey("data_root", "dataset root; list-file paths are relative to it", InputPath = true, Required = true)]
    public string DataRoot { get; set; } = "";

    [ConfigKey("train_list", "list file of `image label` pairs for training", ListPath = true)]
    public string TrainList { get; set; } = "";

    [ConfigKey("val_list", "list file for validation (and for `test` when TEST.test_list is empty)", ListPath = true)]
    public string ValList { get; set; } = "";

    [ConfigKey("classes", "number of classes (VOC 21, Cityscapes 19)", Required = true)]
    public int Classes { get; set; } = 21;

    [ConfigKey("label_format", "auto, index or cityscapes_labelids")]
    public string LabelFormat { get; set; } = "auto";

    [ConfigKey("max_pixels", "refuse images larger than this many pixels; empty: the loader's default (50 MP)")]
    public int? MaxPixels { get; set; }
}
