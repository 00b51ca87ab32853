using RobustSeg.Models;
using RobustSeg.Models.Import;

namespace RobustSeg.Adversarial.Training;

/// <summary>Loads an original PyTorch checkpoint ({'state_dict': ...} with `module.` keys, or a bare state dict)
/// into a model, strictly, through the models' restricted unpickler.</summary>
public static class PthWeights
{
    public static void Load(SegmentationModel model, string path)
    {
        var sd = PthReader.ReadStateDict(path, model.Device, out _);
        try { model.LoadStateDict(sd, strict: true, sourceName: path); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }
}
