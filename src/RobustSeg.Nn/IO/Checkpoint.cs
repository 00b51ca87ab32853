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

    /// <summary>Reads the metadata only (to build the right model before loading weights).</summary>
    public static Dictionary<string, string> ReadMetadata(string path)
    {
        using var f = SafeTensors.Load(path, Device.Cpu);
        return f.Metadata;
    }

    /// <summary>Loads the weights strictly into `model` and, when given and present, the optimizer state.
    /// Returns the metadata.</summary>
    public static Dictionary<string, string> Load(string path, Module model, SGD? optimizer = null)
    {
        Dictionary<string, string> meta;
        using (var f = SafeTensors.Load(path, model.Parameters().First().Device))
        {
            model.LoadStateDict(f.Tensors, strict: true, sourceName: path);
            meta = f.Metadata;
        }
        var op = OptimizerPath(path);
        if (optimizer is not null && File.Exists(op))
        {
            using var o = SafeTensors.Load(op, model.Parameters().First().Device);
            long step = o.Metadata.TryGetValue(StepKey, out var s) && long.TryParse(s, out var v) ? v : 0;
            optimizer.LoadState(o.Tensors, step);
        }
        return meta;
    }
}
