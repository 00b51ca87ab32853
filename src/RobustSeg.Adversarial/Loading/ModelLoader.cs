using RobustSeg.Adversarial.Attacks;
using RobustSeg.Config;
using RobustSeg.Engine;
using RobustSeg.Models;
using RobustSeg.Models.Import;
using RobustSeg.Nn.IO;

namespace RobustSeg.Adversarial.Loading;

/// <summary>How every command gets a model: the one translation of a configuration into a <see cref="ModelConfig"/>,
/// the one entry point for loading weights into a model (this project's .safetensors, original .pth, ImageNet backbones), and the
/// evaluation loader (a checkpoint, deployed and in eval mode).</summary>
public static class ModelLoader
{
    /// <summary>The model a configuration describes (TRAIN arch, layers, zoom_factor, ddcat, width; DATA classes;
    /// the seed initialises it).</summary>
    public static ModelConfig ConfigOf(RunConfig cfg) => new(cfg.Train.Arch, cfg.Train.Layers, cfg.Data.Classes,
        cfg.Train.ZoomFactor, cfg.Train.UsesDdcAtHeads, cfg.Train.Width, 0.1f, (ulong)cfg.Train.Seed);

    /// <summary>Loads a weights file into a built model, strictly (every key present, none unexpected, every shape
    /// equal): a .safetensors state dict (a RobustSeg checkpoint or any file with the model's keys) or an original
    /// PyTorch checkpoint (.pth/.pt/.tar; {'state_dict': ...} with `module.` keys, or a bare state dict).
    /// <paramref name="key"/> names the config key or option the path came from, for messages.</summary>
    public static void LoadWeights(SegmentationModel model, string path, string key)
    {
        if (!File.Exists(path)) throw new ConfigException($"{key}: file not found: {path}");
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".safetensors":
                // The tensor table is checked against the model from the header before any tensor is read.
                Nn.Module.CheckStateShapes(model.StateShapes(), SafeTensors.ReadHeader(path).Shapes(), strict: true, path, model.Config.Describe());
                using (var f = SafeTensors.Load(path, model.Device))
                    model.LoadStateDict(f.Tensors, strict: true, sourceName: path);
                return;
            case ".pth" or ".pt" or ".tar":
                var (file, refs) = PthReader.ReadRefs(path, out _);
                using (file)
                {
                    Nn.Module.CheckStateShapes(model.StateShapes(), refs.ToDictionary(kv => kv.Key, kv => kv.Value.Size), strict: true, path, model.Config.Describe());
                    var sd = PthReader.Materialize(file, refs, model.Device);
                    try { model.LoadStateDict(sd, strict: true, sourceName: path); }
                    finally { foreach (var t in sd.Values) t.Dispose(); }
                }
                return;
            default:
                throw new ConfigException($"{key}: {path}: expected a .safetensors or .pth file");
        }
    }

    /// <summary>ImageNet initialisation of the backbone (layer0..layer4) from semseg's deep-base ResNet (`.pth` or
    /// `.safetensors`; <see cref="BackboneImport"/> holds the key map), as the original's `pretrained=True`. A missing
    /// file is an error naming <paramref name="key"/> and how to get the file. Returns the ImageNet keys dropped (fc).</summary>
    public static IReadOnlyList<string> LoadBackbone(SegmentationModel model, string path, string key)
    {
        if (!File.Exists(path))
            throw new ConfigException($"{key}: file not found: {path} (semseg's ImageNet ResNet, e.g. initmodel/resnet50_v2.pth from the hszhao/semseg README's model zoo; " +
                "convert with `robustseg import --backbone FILE --out resnet50_v2.safetensors` if wanted, or leave the key empty to train from scratch)");
        return BackboneImport.Load(model, path).Dropped;
    }

    /// <summary>The model to evaluate from a checkpoint: this project's safetensors checkpoints rebuild their own
    /// architecture from their metadata; original `.pth` files use the config's model (<see cref="ConfigOf"/>).
    /// DDC-AT models are deployed (cls1 -> cls), since inference and attacks use only the main branch; the model
    /// is in eval mode and its class count must equal DATA.classes.</summary>
    public static SegmentationModel LoadForEval(string checkpoint, RunConfig cfg, Device device)
    {
        if (!File.Exists(checkpoint)) throw new FileNotFoundException($"checkpoint not found: {checkpoint}", checkpoint);
        SegmentationModel model;
        if (checkpoint.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) || checkpoint.EndsWith(".pt", StringComparison.OrdinalIgnoreCase))
            model = PthImport.Load(checkpoint, ConfigOf(cfg), device, deploy: true, out _);
        else
        {
            (model, _) = ModelFactory.Load(checkpoint, device);
            if (model.IsDdcat)
            {
                var plain = ModelFactory.Deploy(model);
                model.Dispose();
                model = plain;
            }
        }
        if (model.Config.Classes != cfg.Data.Classes)
        {
            int k = model.Config.Classes;
            model.Dispose();
            throw new InvalidDataException($"{checkpoint}: the model has {k} classes but {cfg.Source} says DATA.classes = {cfg.Data.Classes}");
        }
        model.Eval();
        return model;
    }

    /// <summary>The model as a function of [0,1] images: the same normalisation as training (eval mode is the caller's).</summary>
    public static SegForward AsForward(SegmentationModel model) => x => model.Forward(Normalization.Normalize(x));
}
