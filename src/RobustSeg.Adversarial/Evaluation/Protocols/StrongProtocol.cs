using RobustSeg.Adversarial.Attacks;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Evaluation.Protocols;

/// <summary>Strong attacks: one perturbation of the whole resized image, crafted through the whole
/// sliding-window inference (consistent across windows), then evaluated without flip.</summary>
public sealed class StrongProtocol(IAttack attack) : IEvalProtocol
{
    public string Name => $"strong {attack.Name}";

    public EvalPrediction Predict(EvalContext ctx, EvalSample sample, int index)
    {
        var (image, host, h, w) = ctx.Resized(sample, ctx.Settings.BaseSize);
        var label = Tensor.FromArray(ctx.Device, HostImageOps.ResizeNearest(sample.Label, sample.Height, sample.Width, h, w), 1, h, w);
        var adv = attack.Perturb(ctx.Window.AsModel(ctx.Craft), image, label, ctx.Attacking(ctx.OptionsFor(index)));
        var probs = ctx.Infer(adv, flip: false);
        return new EvalPrediction(ctx.ToSampleSize(probs, h, w, sample), adv.ToArray(), host, h, w);
    }
}
