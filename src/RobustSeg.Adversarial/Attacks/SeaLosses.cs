using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>Jensen-Shannon divergence between the softmax and the one-hot label, per pixel (SEA's JS loss;
/// nmndeep/robust-segmentation <c>js_loss</c>: (KL(p || m) + KL(q || m)) / 2, m = (p + q) / 2, summed over
/// classes, 0 at ignored pixels). With q one-hot at y every term but the true class's is p_c log 2, so the
/// sum is a function of p = p_y alone: JS = log 2 + p log p / 2 - (1 + p) log(1 + p) / 2. We compute that
/// form, with log p from the log-softmax, so no log of an underflowed probability appears. It falls from
/// log 2 (p = 0) to 0 (p = 1) and, unlike CE, saturates on pixels already misclassified.</summary>
public sealed class JsDivergenceLoss : IPixelLoss
{
    public string Name => "js";

    public Tensor Map(Tensor logits, AttackTarget target, int step, int steps)
    {
        var oh = target.OneHot(logits.Size(1));
        var valid = F.Sum(oh, [1]);
        var logPy = F.Sum(F.Mul(F.LogSoftmax(logits), oh), [1]);
        var py = F.Exp(logPy);
        var onePlus = F.AddScalar(py, 1f);
        var js = F.AddScalar(F.MulScalar(F.Sub(F.Mul(py, logPy), F.Mul(onePlus, F.Log(onePlus))), 0.5f), MathF.Log(2f));
        return F.Mul(js, valid);
    }
}

/// <summary>Minus the correct-class logit of the L2-normalised logit vector, per pixel: -z_y / ||z||_2 (the
/// normalisation is part of the graph, as in the reference's <c>single_logits_loss(normalized=True)</c>);
/// 0 at ignored pixels. Masked (SEA's Mask-Sph) it counts only pixels still classified correctly (mask
/// detached); unmasked it is the loss SEA tracks the Mask-Sph run with (the reference's
/// <c>norm-corrlog-avg</c>).</summary>
public sealed class NormalizedCorrectLogitLoss(bool masked) : IPixelLoss
{
    public bool Masked { get; } = masked;
    public string Name => Masked ? "mask-sph" : "norm-corrlog";

    public Tensor Map(Tensor logits, AttackTarget target, int step, int steps)
    {
        var oh = target.OneHot(logits.Size(1));
        var zy = F.Sum(F.Mul(logits, oh), [1]);
        var norm = F.Sqrt(F.Sum(F.Square(logits), [1]));
        // Ignored pixels have zy = 0 (zero one-hot), so their loss is 0 without a separate mask.
        var loss = F.Neg(F.Div(zy, norm));
        if (!Masked) return loss;
        Tensor w;
        using (Autograd.NoGrad())
        {
            using var pred = F.Argmax(logits);
            using var eq = F.Equal(pred, target.Labels);
            w = F.ToFloat(eq);
        }
        return F.Mul(loss, w);
    }
}
