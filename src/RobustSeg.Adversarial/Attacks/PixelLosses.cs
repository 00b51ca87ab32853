using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>A per-pixel attack objective (to be maximised): (N,H,W), 0 at ignored pixels. Step is
/// 1-based of <c>steps</c>, for schedules like SegPGD's.</summary>
public interface IPixelLoss
{
    string Name { get; }
    Tensor Map(Tensor logits, AttackTarget target, int step, int steps);
}

/// <summary>Cross-entropy per pixel (the PGD/BIM objective).</summary>
public sealed class CrossEntropyLoss : IPixelLoss
{
    public string Name => "ce";
    public Tensor Map(Tensor logits, AttackTarget target, int step, int steps) =>
        F.CrossEntropyPerPixel(logits, target.Labels, target.IgnoreIndex);
}

/// <summary>SegPGD (Gu et al. 2022): CE weighted (1 - lambda) on correctly classified pixels and lambda on
/// wrongly classified ones, lambda = (t - 1) / (2T): early steps push the still-correct pixels, later steps
/// balance both. Weights carry no gradient.</summary>
public sealed class SegPgdLoss : IPixelLoss
{
    public string Name => "segpgd";
    public static float Lambda(int step, int steps) => (step - 1) / (2f * steps);

    /// <summary>(N,H,W) weights: 1 - lambda where argmax == label, lambda elsewhere (ignored pixels get lambda, but their CE is 0).</summary>
    public static Tensor Weights(Tensor logits, Tensor labels, int step, int steps)
    {
        using var _ = Autograd.NoGrad();
        float lam = Lambda(step, steps);
        using var pred = F.Argmax(logits);
        using var eq = F.Equal(pred, labels);
        using var eqf = F.ToFloat(eq);
        return F.Affine(eqf, 1f - 2f * lam, lam);
    }

    public Tensor Map(Tensor logits, AttackTarget target, int step, int steps)
    {
        // No `using` on tape inputs: the backward pass reads them; the caller's scope frees them.
        var w = Weights(logits, target.Labels, step, steps);
        return F.Mul(F.CrossEntropyPerPixel(logits, target.Labels, target.IgnoreIndex), w);
    }
}

/// <summary>CosPGD (Agnihotri et al.): CE per pixel weighted by the cosine similarity between the softmax
/// and the one-hot label, so pixels already pushed away from their class count less (the official
/// <c>cospgd</c> package's <c>cospgd_scale</c>). With <c>sigmoid</c> the weight uses the element-wise sigmoid
/// of the logits instead, as Croce et al.'s reimplementation (nmndeep/robust-segmentation <c>cospgd_loss</c>).
/// Weights detached; ignored pixels have a zero one-hot and so weight 0.</summary>
public sealed class CosPgdLoss(bool sigmoid = false) : IPixelLoss
{
    public bool UsesSigmoid { get; } = sigmoid;
    public string Name => UsesSigmoid ? "cospgd-sigmoid" : "cospgd";

    /// <summary>(N,H,W) cos(s(logits), onehot) = s_y / ||s||_2, s = softmax (or sigmoid).</summary>
    public static Tensor Weights(Tensor logits, Tensor oneHot, bool sigmoid = false)
    {
        using var _ = Autograd.NoGrad();
        using var p = sigmoid ? F.Sigmoid(logits) : F.Softmax(logits);
        using var py = F.Mul(p, oneHot);
        using var dot = F.Sum(py, [1]);
        using var p2 = F.Square(p);
        using var n2 = F.Sum(p2, [1]);
        using var norm = F.Sqrt(n2);
        return F.Div(dot, norm);
    }

    public Tensor Map(Tensor logits, AttackTarget target, int step, int steps)
    {
        var w = Weights(logits, target.OneHot(logits.Size(1)), UsesSigmoid);
        return F.Mul(F.CrossEntropyPerPixel(logits, target.Labels, target.IgnoreIndex), w);
    }
}

/// <summary>CE on the pixels still classified correctly only (Croce et al.'s masked CE): the objective
/// stops rewarding pixels that are already wrong and spends the budget on the rest.</summary>
public sealed class MaskedCrossEntropyLoss : IPixelLoss
{
    public string Name => "masked-ce";
    public Tensor Map(Tensor logits, AttackTarget target, int step, int steps)
    {
        Tensor w;
        using (Autograd.NoGrad())
        {
            using var pred = F.Argmax(logits);
            using var eq = F.Equal(pred, target.Labels);
            w = F.ToFloat(eq);
        }
        return F.Mul(F.CrossEntropyPerPixel(logits, target.Labels, target.IgnoreIndex), w);
    }
}

/// <summary>Per-pixel margin max_{j != y} z_j - z_y (DLR's numerator, not scale-normalised): positive once
/// the pixel is misclassified; 0 at ignored pixels.</summary>
public sealed class MarginLoss : IPixelLoss
{
    public string Name => "margin";
    public Tensor Map(Tensor logits, AttackTarget target, int step, int steps)
    {
        var oh = target.OneHot(logits.Size(1));
        var valid = F.Sum(oh, [1]);
        var zy = F.Sum(F.Mul(logits, oh), [1]);
        // Push the true class far down so the channel max picks the best other class.
        var others = F.Sub(logits, F.MulScalar(oh, 1e4f));
        var (zOther, _) = F.MaxChannels(others);
        return F.Mul(F.Sub(zOther, zy), valid);
    }
}
