using System.Runtime.CompilerServices;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Config;
using RobustSeg.Engine;
using RobustSeg.Models;
using RobustSeg.Models.Import;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Loads the model to evaluate from a checkpoint: this project's safetensors checkpoints rebuild
/// their own architecture from their metadata; original PyTorch `.pth` files use the config's TRAIN keys
/// (arch, layers, classes, zoom_factor, ddcat, width). DDC-AT models are deployed (cls1 -> cls), since
/// inference and attacks use only the main branch. The model is put in eval mode. Plugged into
/// <see cref="EvalModelSource"/> when the assembly loads.</summary>
public static class EvalModelLoader
{
    // Runs when the assembly loads, so the commands find the loader without referencing the models code.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Install() => EvalModelSource.Loader ??= (ckpt, cfgPath, _, dev) =>
    {
        var m = Load(ckpt, RunConfig.Load(cfgPath), dev);
        return new LoadedEvalModel(AsForward(m), m.Config.Classes, m.Config.Describe(), m);
    };

    public static SegmentationModel Load(string checkpoint, RunConfig cfg, Device device)
    {
        if (!File.Exists(checkpoint)) throw new FileNotFoundException($"checkpoint not found: {checkpoint}", checkpoint);
        SegmentationModel model;
        if (checkpoint.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) || checkpoint.EndsWith(".pt", StringComparison.OrdinalIgnoreCase))
        {
            var mc = new ModelConfig(cfg.Train.Arch, cfg.Train.Layers, cfg.Data.Classes, cfg.Train.ZoomFactor,
                cfg.Train.UsesDdcAtHeads, cfg.Train.Width);
            model = PthImport.Load(checkpoint, mc, device, deploy: true, out _);
        }
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

    /// <summary>The model as a function of [0,1] images (ImageNet normalisation inside, eval mode).</summary>
    public static SegForward AsForward(SegmentationModel model) =>
        SegForwardExtensions.FromNormalised(model.Forward, SegForwardExtensions.ImageNetMean, SegForwardExtensions.ImageNetStd);
}
