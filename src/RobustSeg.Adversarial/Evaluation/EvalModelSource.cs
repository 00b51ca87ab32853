using RobustSeg.Adversarial.Attacks;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>A loaded model as evaluation sees it: a [0,1]-space forward (normalisation inside, eval mode,
/// DDC-AT models deployed to their main branch), its class count and what owns its parameters.</summary>
public sealed class LoadedEvalModel(SegForward forward, int classes, string description, IDisposable? owner = null) : IDisposable
{
    public SegForward Forward { get; } = forward;
    public int Classes { get; } = classes;
    public string Description { get; } = description;
    public void Dispose() => owner?.Dispose();
}

/// <summary>The narrow seam between the commands and the model code: how a checkpoint becomes a
/// <see cref="LoadedEvalModel"/>. The models project's factory plugs in here (set <see cref="Loader"/>);
/// without it the commands stop with a clear message.</summary>
public static class EvalModelSource
{
    /// <summary>(checkpoint path, config path, config, device) -> model.</summary>
    public static Func<string, string, EvalConfig, Device, LoadedEvalModel>? Loader { get; set; }

    public static LoadedEvalModel Load(string checkpoint, string configPath, EvalConfig cfg, Device device)
    {
        if (!File.Exists(checkpoint)) throw new FileNotFoundException($"checkpoint not found: {checkpoint}", checkpoint);
        var loader = Loader ?? throw new NotSupportedException(
            "this build has no model loader: RobustSeg.Models' checkpoint factory is not wired into evaluation (EvalModelSource.Loader)");
        var m = loader(checkpoint, configPath, cfg, device);
        if (m.Classes != cfg.Classes)
        {
            m.Dispose();
            throw new InvalidDataException($"{checkpoint}: the model has {m.Classes} classes but {cfg.Source} says DATA.classes = {cfg.Classes}");
        }
        return m;
    }
}
