using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Config;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Training;

/// <summary>The training-time attack of DESIGN section 5: L-inf BIM in [0,1] pixel space (eps 0.03, 3 steps of
/// eps/3, no random start, last iterate), CE with ignore 255 on the deployed output (cls, or cls1 for DDC-AT),
/// the model in eval mode, gradients w.r.t. the input only (Autograd.Grad skips every weight gradient).</summary>
public sealed class TrainingAttack
{
    readonly Bim _bim = new();
    public AttackOptions Options { get; }

    public TrainingAttack(float eps = 0.03f, int steps = 3, float? alpha = null, int ignoreIndex = 255)
    {
        Options = new AttackOptions
        {
            Eps = eps, Steps = steps, Alpha = alpha ?? eps / steps, RandomStart = false, KeepBest = false,
            Restarts = 1, IgnoreIndex = ignoreIndex,
        };
        Options.Validate();
    }

    public static TrainingAttack FromConfig(TrainSection t) =>
        new((float)t.AttackEps, t.AttackSteps, (float)t.AttackStep, t.IgnoreLabel);

    /// <summary>The model as a function of [0,1] images: normalise, run the deployed head only.</summary>
    public static SegForward Deployed(SegmentationModel model) =>
        x => model.Run(Normalization.Normalize(x), ForwardOptions.Default).Logits;

    /// <summary>Adversarial versions of `images01` (a new tensor, in the caller's scope). The model is put in
    /// eval mode for the attack and its previous mode restored.</summary>
    public Tensor Perturb(SegmentationModel model, Tensor images01, Tensor labels)
    {
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            return _bim.Perturb(Deployed(model), images01, labels, new AttackContext(Options));
        }
        finally { model.Train(wasTraining); }
    }
}
