namespace RobustSeg.Config;

/// <summary>TEST: evaluation settings (semseg's keys).</summary>
public sealed class TestSection
{
    [ConfigKey("test_list", "list file `test` evaluates; empty: DATA.val_list", ListPath = true)] public string TestList { get; set; } = "";
    [ConfigKey("split", "name of the evaluated split (train, val or test), as semseg: a label for the outputs")] public string Split { get; set; } = "val";
    [ConfigKey("base_size", "long side the image is resized to before sliding windows")] public int BaseSize { get; set; } = 512;
    [ConfigKey("test_h")] public int TestH { get; set; } = 473;
    [ConfigKey("test_w")] public int TestW { get; set; } = 473;
    [ConfigKey("scales", "evaluation scales; several: semseg's multi-scale averaging")] public double[] Scales { get; set; } = [1.0];
    [ConfigKey("test_resize", "[width, height]: every test image (bilinear) and its label (nearest) are resized to it before inference and scoring, as the original's Cityscapes test (1024x512); empty: the label's own size")] public int[] TestResize { get; set; } = [];
    [ConfigKey("has_prediction", "not supported: must be False")] public bool HasPrediction { get; set; }
    [ConfigKey("index_start", "first list entry `test` evaluates")] public int IndexStart { get; set; }
    [ConfigKey("index_step", "number of entries from index_start; 0: to the end")] public int IndexStep { get; set; }
    [ConfigKey("test_gpu", "kept for the original configs; the device is chosen with --device")] public int[] TestGpu { get; set; } = [0];
    [ConfigKey("model_path", "checkpoint `test` evaluates when --checkpoint is not given", InputPath = true)] public string? ModelPath { get; set; }
    [ConfigKey("save_folder", "where `test` writes metrics and images when --save-dir is not given")] public string? SaveFolder { get; set; }
    [ConfigKey("colors_path", "one `r g b` line per class (semseg's *_colors.txt): prediction colours", InputPath = true)] public string? ColorsPath { get; set; }
    [ConfigKey("names_path", "one class name per line (semseg's *_names.txt): per-class tables", InputPath = true)] public string? NamesPath { get; set; }
}
