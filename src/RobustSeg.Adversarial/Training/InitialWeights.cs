using RobustSeg.Adversarial.Config;
using RobustSeg.Models;
using RobustSeg.Nn.IO;

namespace RobustSeg.Adversarial.Training;

/// <summary>`weight:` initial weights, loaded strictly: a safetensors file (a RobustSeg checkpoint or any
/// state dict with the model's keys) or an original PyTorch `.pth` checkpoint.</summary>
public static class InitialWeights
{
    public static void Load(SegmentationModel model, string path)
    {
        if (!File.Exists(path)) throw new ConfigException($"TRAIN.weight: file not found: {path}");
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext == ".safetensors")
        {
            using var f = SafeTensors.Load(path, model.Device);
            model.LoadStateDict(f.Tensors, strict: true, sourceName: path);
            return;
        }
        if (ext is ".pth" or ".pt" or ".tar")
        {
            PthWeights.Load(model, path);
            return;
        }
        throw new ConfigException($"TRAIN.weight: {path}: expected a .safetensors or .pth file");
    }
}
