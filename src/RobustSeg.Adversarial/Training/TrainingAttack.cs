using RobustSeg.Adversarial.Attacks;
using RobustSeg.Config;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Training;

/// <summary>The training-time attack of DESIGN section 5: L-inf BIM in [0,1] pixel space (eps 0.03, 3 steps of
/// eps/3, no random start, last iterate), mean CE with ignore 255 on the deployed output (cls, or cls1 for DDC-AT),
/// the model in eval mode, gradients w.r.t. the input only (Autograd.Grad skips every weight gradient); each
/// step is the engine's fused sign step clipped to the eps ball and to [0,1]. It runs the attacks library's BIM.</summary>
public sealed class TrainingAttack
{
    public float Eps { get; }
    public int Steps { get; }
    public float Alpha { get; }
    public int IgnoreIndex { get; }

    public TrainingAttack(float eps = 0.03f, int steps = 3, float? alpha = null, int ignoreIndex = 255)
    {
        if (!(eps > 0f && eps <= 1f)) throw new ArgumentException($"training attack: eps must be in (0, 1], got {eps}");
        if (steps < 1) throw new ArgumentException($"training attack: steps must be >= 1, got {steps}");
        Eps = eps; Steps = steps; Alpha = alpha ?? eps / steps; IgnoreIndex = ignoreIndex;
        if (!(Alpha > 0f)) throw new ArgumentException($"training attack: alpha must be > 0, got {Alpha}");
    }

    public static TrainingAttack FromConfig(TrainSection t) =>
        new((float)t.AttackEps, t.AttackSteps, (float)t.AttackStep, t.IgnoreLabel);

    /// <summary>The model as a function of [0,1] images: normalise, run the deployed head only (no aux).</summary>
    public static Func<Tensor, Tensor> Deployed(SegmentationModel model) =>
        x => model.Run(Normalization.Normalize(x), ForwardOptions.Default).Logits;

    /// <summary>The options the library BIM runs with.</summary>
    public AttackOptions Options => AttackOptions.Training(Eps, Steps, Alpha, IgnoreIndex);

    /// <summary>Adversarial versions of `images01` (a new tensor in the caller's scope): the library's
    /// <see cref="Bim"/> (the same code as `test --protocol legacy`) on the deployed output. The model is put in
    /// eval mode for the attack and its previous mode restored.</summary>
    public Tensor Perturb(SegmentationModel model, Tensor images01, Tensor labels)
    {
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            var deployed = Deployed(model);
            return new Bim().Perturb(x => deployed(x), images01, labels, new AttackContext(Options));
        }
        finally { model.Train(wasTraining); }
    }
}
