namespace RobustSeg.Adversarial.Config;

/// <summary>TEST: evaluation settings (semseg's keys).</summary>
public sealed class TestSection
{
    [ConfigKey("test_list")] public string TestList { get; set; } = "";
    [ConfigKey("split")] public string Split { get; set; } = "val";
    [ConfigKey("base_size", "long side the image is resized to before sliding windows")] public int BaseSize { get; set; } = 512;
    [ConfigKey("test_h")] public int TestH { get; set; } = 473;
    [ConfigKey("test_w")] public int TestW { get; set; } = 473;
    [ConfigKey("scales")] public double[] Scales { get; set; } = [1.0];
    [ConfigKey("has_prediction")] public bool HasPrediction { get; set; }
    [ConfigKey("index_start")] public int IndexStart { get; set; }
    [ConfigKey("index_step")] public int IndexStep { get; set; }
    [ConfigKey("test_gpu")] public int[] TestGpu { get; set; } = [0];
    [ConfigKey("model_path")] public string? ModelPath { get; set; }
    [ConfigKey("save_folder")] public string? SaveFolder { get; set; }
    [ConfigKey("colors_path")] public string? ColorsPath { get; set; }
    [ConfigKey("names_path")] public string? NamesPath { get; set; }
}
