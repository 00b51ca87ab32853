using RobustSeg.Adversarial.Config;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Training;

/// <summary>Loads an original PyTorch checkpoint into a model through the models' strict importer.</summary>
public static class PthWeights
{
    public static void Load(SegmentationModel model, string path) =>
        throw new ConfigException($"TRAIN.weight: {path}: .pth import is not available in this build; convert it with `robustseg import` to .safetensors");
}
