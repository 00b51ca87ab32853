namespace RobustSeg.Adversarial.Config;

/// <summary>DATA: where the list files are. Relative paths are taken relative to the working directory,
/// as in semseg.</summary>
public sealed class DataSection
{
    [ConfigKey("data_root", "dataset root; list-file paths are relative to it")]
    public string DataRoot { get; set; } = "";

    [ConfigKey("train_list", "list file of `image label` pairs for training")]
    public string TrainList { get; set; } = "";

    [ConfigKey("val_list")]
    public string ValList { get; set; } = "";

    [ConfigKey("classes")]
    public int Classes { get; set; } = 21;

    [ConfigKey("label_format", "auto, index or cityscapes_labelids")]
    public string LabelFormat { get; set; } = "auto";

    [ConfigKey("max_pixels", "refuse images larger than this many pixels; empty: the loader's default (50 MP)")]
    public int? MaxPixels { get; set; }
}
