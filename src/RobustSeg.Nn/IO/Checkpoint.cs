using RobustSeg.Engine;

namespace RobustSeg.Nn.IO;

/// <summary>A training checkpoint: FILE.safetensors holds the model's state dict and the metadata
/// (epoch, config, regime, model description, anything the caller adds); FILE.optim.safetensors beside it
/// holds the SGD momentum buffers (keys = parameter names) and the step count. Both are written atomically.</summary>
public static class Checkpoint
{
    public const string EpochKey = "epoch";
    public const string StepKey = "optimizer_step";

    public static string OptimizerPath(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path) + ".optim.safetensors");

    public static void Save(string path, Module model, IReadOnlyDictionary<string, string> metadata, SGD? optimizer = null)
    {
        if (optimizer is not null)
        {
            var md = new Dictionary<string, string> { [StepKey] = optimizer.StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            foreach (var g in optimizer.Groups) md["lr." + g.Name] = g.Lr.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            SafeTensors.Save(OptimizerPath(path), optimizer.MomentumBuffers, md);
        }
        SafeTensors.Save(path, model.StateDict(), metadata);
    }

    /// <summary>Reads the metadata only (to build the right model before loading weights): the header, not the data.</summary>
    public static Dictionary<string, string> ReadMetadata(string path) => SafeTensors.ReadHeader(path).Metadata;

    /// <summary>Loads the weights strictly into `model` and, when given and present, the optimizer state.
    /// Both files' tensor tables are checked against the model from their headers before any tensor is read.
    /// Returns the metadata.</summary>
    public static Dictionary<string, string> Load(string path, Module model, SGD? optimizer = null)
    {
        var device = model.Parameters().First().Device;
        Module.CheckStateShapes(model.StateShapes(), SafeTensors.ReadHeader(path).Shapes(), strict: true, path, model.GetType().Name);
        Dictionary<string, string> meta;
        using (var f = SafeTensors.Load(path, device))
        {
            model.LoadStateDict(f.Tensors, strict: true, sourceName: path);
            meta = f.Metadata;
        }
        var op = OptimizerPath(path);
        if (optimizer is not null && File.Exists(op))
        {
            var h = SafeTensors.ReadHeader(op);
            var parameters = optimizer.Groups.SelectMany(g => g.Parameters).ToDictionary(p => p.Name, p => p.Tensor.Shape);
            // Momentum buffers exist only for parameters that have taken a step: a subset, with equal shapes.
            Module.CheckStateShapes(parameters, h.Shapes(), strict: false, op, "the optimizer's parameters");
            if (h.Entries.FirstOrDefault(e => e.DType is not ("F32" or "F64")) is { } bad)
                throw new InvalidDataException($"{op}: momentum buffer '{bad.Name}' has dtype {bad.DType}, expected F32");
            long step = 0;
            if (h.Metadata.TryGetValue(StepKey, out var s) && !long.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out step))
                throw new InvalidDataException($"{op}: metadata '{StepKey}' = '{s}' is not a step count");
            using var o = SafeTensors.Load(op, device);
            optimizer.LoadState(o.Tensors, step);
        }
        return meta;
    }
}
