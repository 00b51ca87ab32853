using RobustSeg.Adversarial.Attacks;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Evaluation.Protocols;

/// <summary>What a protocol sees: the device, the model evaluated, the model attacks are crafted on (itself,
/// or another for black-box transfer), the sliding-window inference and the run's settings.</summary>
public sealed record EvalContext(Device Device, SegForward Target, SegForward Craft, SlidingWindow Window, EvalSettings Settings)
{
    /// <summary>Called after every attack step (the study tool records them; costs host copies, so null in `test`).</summary>
    public Action<AttackStepInfo>? OnStep { get; init; }

    /// <summary>Averaged probabilities (K,h,w) on the host of a (1,3,h,w) image in [0,1], without a tape; with
    /// <paramref name="flip"/> also averaged with the mirror's. <paramref name="transform"/> replaces each window
    /// before the target sees it (the legacy per-window attack records its own tape there).</summary>
    public float[] Infer(Tensor image, bool flip, Func<Tensor, int, (int Top, int Left), Tensor>? transform = null)
    {
        int h = image.Size(2), w = image.Size(3);
        SegForward targetNoGrad = x => { using (Autograd.NoGrad()) return Target(x); };
        float[] p;
        using (Tensor.Scope())
            p = Window.Probabilities(targetNoGrad, image, transform is null ? null : (c, i, at) => transform(c, i, at).Detach()).ToArray();
        if (!flip) return p;
        var flipped = HostImageOps.FlipW(image.ToArray(), 3, h, w);
        float[] q;
        using (Tensor.Scope())
            q = Window.Probabilities(targetNoGrad, Tensor.FromArray(Device, flipped, 1, 3, h, w)).ToArray();
        q = HostImageOps.FlipW(q, Settings.Classes, h, w);
        for (int i = 0; i < p.Length; i++) p[i] = 0.5f * (p[i] + q[i]);
        return p;
    }

    /// <summary>The sample resized so its long side is <paramref name="longSide"/> (OpenCV-style bilinear), on the device.</summary>
    public (Tensor Image, float[] Host, int H, int W) Resized(EvalSample sample, int longSide)
    {
        var (nh, nw) = HostImageOps.LongSideSize(sample.Height, sample.Width, longSide);
        var host = HostImageOps.ResizeBilinear(sample.Image01, 3, sample.Height, sample.Width, nh, nw);
        return (Tensor.FromArray(Device, host, 1, 3, nh, nw), host, nh, nw);
    }

    /// <summary>Probabilities (K,h,w) resized back to the sample's size.</summary>
    public float[] ToSampleSize(float[] probs, int h, int w, EvalSample sample) =>
        HostImageOps.ResizeBilinear(probs, Settings.Classes, h, w, sample.Height, sample.Width);

    /// <summary>Attack options for image <paramref name="index"/>: the run's seed advanced per image.</summary>
    public AttackOptions OptionsFor(int index) =>
        Settings.AttackOptions with { Seed = Settings.AttackOptions.Seed + (ulong)index, IgnoreIndex = Settings.IgnoreIndex };

    /// <summary>The per-call attack context of <paramref name="options"/>, with this run's step observer.</summary>
    public AttackContext Attacking(AttackOptions options) => new(options, OnStep);
}

/// <summary>One protocol's result for a sample: probabilities at the sample's size and, when attacked, the
/// adversarial image and its clean counterpart at the size the attack worked on.</summary>
public sealed record EvalPrediction(float[] Probabilities, float[]? Adversarial = null, float[]? Clean = null, int H = 0, int W = 0);

/// <summary>An evaluation protocol (DESIGN section 6): how one sample becomes class probabilities, clean or
/// under attack. The evaluator, metrics and output sinks do not depend on which one runs; a new protocol
/// (EOT, patch attacks, ...) is a new class.</summary>
public interface IEvalProtocol
{
    string Name { get; }
    EvalPrediction Predict(EvalContext ctx, EvalSample sample, int index);
}
