using RobustSeg.Adversarial.Attacks;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Evaluation.Protocols;

/// <summary>The paper's protocol: every padded sliding window is attacked on its own against its own label
/// window (BIM, eps 0.03, 2 steps of 0.01, no random start), no flip.</summary>
public sealed class LegacyProtocol(IAttack attack) : IEvalProtocol
{
    public string Name => $"legacy {attack.Name}";

    public EvalPrediction Predict(EvalContext ctx, EvalSample sample, int index)
    {
        var s = ctx.Settings;
        var (image, host, nh, nw) = ctx.Resized(sample, s.BaseSize);
        var labelR = HostImageOps.ResizeNearest(sample.Label, sample.Height, sample.Width, nh, nw);
        var opts = ctx.OptionsFor(index);
        var (pt, pl, H, W) = ctx.Window.Padding(nh, nw);
        var padLabel = new int[H * W];
        Array.Fill(padLabel, s.IgnoreIndex);
        for (int y = 0; y < nh; y++) Array.Copy(labelR, y * nw, padLabel, (y + pt) * W + pl, nw);
        bool keepImage = s.SaveDir is not null && s.SaveImages;
        var advPadded = keepImage ? new float[3 * H * W] : null;
        Tensor Transform(Tensor crop, int wi, (int Top, int Left) at)
        {
            var lab = new int[s.CropH * s.CropW];
            for (int y = 0; y < s.CropH; y++) Array.Copy(padLabel, (at.Top + y) * W + at.Left, lab, y * s.CropW, s.CropW);
            var labT = Tensor.FromArray(ctx.Device, lab, 1, s.CropH, s.CropW);
            var a = attack.Perturb(ctx.Craft, crop.Detach(), labT, ctx.Attacking(opts with { Seed = opts.Seed * 1000003UL + (ulong)wi }));
            if (advPadded is null) return a;
            var ah = a.ToArray();
            for (int c = 0; c < 3; c++) for (int y = 0; y < s.CropH; y++)
                Array.Copy(ah, (c * s.CropH + y) * s.CropW, advPadded, (c * H + at.Top + y) * W + at.Left, s.CropW);
            return a;
        }
        var probs = ctx.Infer(image, flip: false, Transform);
        float[]? adv = null;
        if (advPadded is not null)
        {
            // For the perturbation image: the last window written wins where windows overlap.
            adv = new float[3 * nh * nw];
            for (int c = 0; c < 3; c++) for (int y = 0; y < nh; y++)
                Array.Copy(advPadded, (c * H + y + pt) * W + pl, adv, (c * nh + y) * nw, nw);
        }
        return new EvalPrediction(ctx.ToSampleSize(probs, nh, nw, sample), adv, host, nh, nw);
    }
}
