using RobustSeg.Engine;
using RobustSeg.Nn;

namespace RobustSeg.Models;

/// <summary>Builds models from config keys and maps DDC-AT models to plain ones for deployment.</summary>
public static class ModelFactory
{
    public static SegmentationModel Create(ModelConfig cfg, Device device)
    {
        cfg.Validate();
        return (cfg.Arch, cfg.Ddcat) switch
        {
            ("psp", false) => new PSPNet(device, cfg),
            ("psp", true) => new PSPNetDdcat(device, cfg),
            ("aspp", false) => new DeepLabV3(device, cfg),
            _ => new DeepLabV3Ddcat(device, cfg),
        };
    }

    /// <summary>A DDC-AT state dict as the plain model's: cls1 -> cls, aux_cls1 -> aux; cls2 and mask1 dropped.
    /// Plain keys pass through unchanged.</summary>
    public static Dictionary<string, T> DeployStateDict<T>(IReadOnlyDictionary<string, T> ddcat)
    {
        var d = new Dictionary<string, T>();
        foreach (var (k, v) in ddcat)
        {
            if (k.StartsWith("cls2.", StringComparison.Ordinal) || k.StartsWith("mask1.", StringComparison.Ordinal)) continue;
            var nk = k.StartsWith("cls1.", StringComparison.Ordinal) ? "cls." + k[5..]
                : k.StartsWith("aux_cls1.", StringComparison.Ordinal) ? "aux." + k[9..] : k;
            d[nk] = v;
        }
        return d;
    }

    /// <summary>True when the keys are a DDC-AT model's (cls1 / mask1 / cls2 heads).</summary>
    public static bool LooksDdcat(IEnumerable<string> keys) =>
        keys.Any(k => k.StartsWith("cls1.", StringComparison.Ordinal) || k.StartsWith("mask1.", StringComparison.Ordinal));

    /// <summary>The plain model carrying a DDC-AT model's deployed weights (what inference uses).</summary>
    public static SegmentationModel Deploy(SegmentationModel ddcat)
    {
        if (!ddcat.IsDdcat) throw new ArgumentException("Deploy: the model is not a DDC-AT model");
        var plain = Create(ddcat.Config with { Ddcat = false }, ddcat.Device);
        plain.LoadStateDict(DeployStateDict(ddcat.StateDict()), strict: true, sourceName: "DDC-AT deployment mapping");
        plain.Train(ddcat.IsTraining);
        return plain;
    }

    /// <summary>Saves a checkpoint with the model description in its metadata (plus `extra`: epoch, regime, config...).</summary>
    public static void Save(string path, SegmentationModel model, IReadOnlyDictionary<string, string>? extra = null, SGD? optimizer = null)
    {
        var md = model.Config.ToMetadata();
        if (extra is not null) foreach (var (k, v) in extra) md[k] = v;
        Nn.IO.Checkpoint.Save(path, model, md, optimizer);
    }

    /// <summary>The state dict's names and shapes of the model <paramref name="cfg"/> describes, laid out without
    /// allocating or initialising any tensor (<see cref="Tensor.ShapesOnly"/>): cheap even for a huge model.</summary>
    public static Dictionary<string, int[]> StateShapes(ModelConfig cfg, Device device)
    {
        using (Tensor.ShapesOnly())
        using (Tensor.NoScope())
        {
            using var m = Create(cfg, device);
            return m.StateShapes();
        }
    }

    /// <summary>Checks a file's tensor table (names, shapes) against the model <paramref name="cfg"/> describes, before
    /// the model or any tensor is allocated: a model can never need more values than the file holds.</summary>
    public static void CheckTable(ModelConfig cfg, IReadOnlyDictionary<string, int[]> table, string path, Device device) =>
        Module.CheckStateShapes(StateShapes(cfg, device), table, strict: true, path, cfg.Describe());

    /// <summary>Builds the model a checkpoint describes and loads its weights strictly. The header's tensor table is
    /// checked against the architecture its metadata claims before the model is built.</summary>
    public static (SegmentationModel Model, Dictionary<string, string> Metadata) Load(string path, Device device)
    {
        var header = Nn.IO.SafeTensors.ReadHeader(path);
        var cfg = ModelConfig.FromMetadata(header.Metadata, path);
        CheckTable(cfg, header.Shapes(), path, device);
        var model = Create(cfg, device);
        try { Nn.IO.Checkpoint.Load(path, model); }
        catch { model.Dispose(); throw; }
        return (model, header.Metadata);
    }
}
