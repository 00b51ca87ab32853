using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>Shared pieces of the attack loops: one loss-and-gradient evaluation, step statistics and the
/// per-image worst case (lowest pixel accuracy) kept over iterates and restarts.</summary>
internal static class AttackLoop
{
    /// <summary>Logits, the per-pixel loss map, the scalar loss (mean over valid pixels) and
    /// d loss / d x at x. Everything is created in the caller's scope.</summary>
    public static (Tensor Logits, Tensor Map, Tensor Loss, Tensor Grad) Evaluate(
        SegForward model, Tensor x, IPixelLoss loss, AttackTarget target, int step, int steps)
    {
        var xv = x.Detach();
        xv.RequiresGrad = true;
        var logits = model(xv);
        var map = loss.Map(logits, target, step, steps);
        var total = F.Mul(F.Sum(map), target.InvValidTotal);
        var grad = Autograd.Grad(total, [xv])[0];
        return (logits, map, total, grad);
    }

    /// <summary>Hands a tensor built outside scopes to the caller's current scope (if any): attacks return
    /// tensors the caller's scope frees, so loops over a dataset do not leak device memory.</summary>
    public static Tensor Adopt(Tensor t)
    {
        var r = t.Clone();
        t.Dispose();
        return r;
    }

    public static void Report(AttackContext ctx, string name, int restart, int step, Tensor x, Tensor x0,
        Tensor logits, Tensor loss, Tensor grad, ref int[]? cleanPred, SegForward model)
    {
        if (ctx.OnStep is null) return;
        if (cleanPred is null)
        {
            using var _ = Autograd.NoGrad();
            using var s = Tensor.Scope();
            cleanPred = F.Argmax(model(x0)).ToIntArray();
        }
        int[] pred;
        using (Autograd.NoGrad()) { using var p = F.Argmax(logits); pred = p.ToIntArray(); }
        long flipped = 0;
        for (int i = 0; i < pred.Length; i++) if (pred[i] != cleanPred[i]) flipped++;
        var g = grad.ToArray();
        double l1 = 0, l2 = 0;
        foreach (var v in g) { l1 += Math.Abs(v); l2 += (double)v * v; }
        var xa = x.ToArray(); var xc = x0.ToArray();
        double linf = 0, p2 = 0;
        for (int i = 0; i < xa.Length; i++) { double d = xa[i] - xc[i]; linf = Math.Max(linf, Math.Abs(d)); p2 += d * d; }
        ctx.OnStep(new AttackStepInfo(name, restart, step, loss.Item(), pred.Length == 0 ? 0 : (double)flipped / pred.Length,
            l1, Math.Sqrt(l2), linf, Math.Sqrt(p2), grad, logits));
    }
}

/// <summary>Per image, the candidate with the lowest pixel accuracy seen so far. Ties keep the earlier one,
/// or with <c>laterOnTies</c> take the later one (the reference APGD loop's <c>avg_acc &lt;= acc</c>).
/// Kept on the device: candidates are compared by their per-image correct-pixel counts (the same valid pixels
/// for every candidate of an image), and the selection is a per-image blend with 0/1 weights, which copies
/// the chosen image exactly. No device read.</summary>
internal sealed class WorstCase : IDisposable
{
    readonly bool _laterOnTies;
    public Tensor? Best { get; private set; }
    /// <summary>Per-image correct-pixel counts of <see cref="Best"/> (N, on the device).</summary>
    public Tensor? BestCorrect => _bestCorrect;
    Tensor? _bestCorrect;
    readonly int _n;

    public WorstCase(int n, bool laterOnTies = false) { _n = n; _laterOnTies = laterOnTies; }

    /// <summary>Offers a candidate with its per-image correct-pixel counts (<see cref="AttackTarget.CorrectCounts"/>).</summary>
    public void Offer(Tensor candidate, Tensor correct)
    {
        if (correct.Numel != _n) throw new ArgumentException($"worst case: {correct.Numel} counts for {_n} images");
        using var _ = Autograd.NoGrad();
        using var __ = Tensor.NoScope();
        if (Best is null)
        {
            Best = candidate.Clone();
            _bestCorrect = correct.Clone();
            return;
        }
        // take = 1 where the candidate has fewer correct pixels (or, laterOnTies, no more): the counts are
        // integers, so relu(sign(best - candidate [+ 0.5])) is exactly that 0/1 flag.
        using var diff = F.Sub(_bestCorrect!, correct);
        using var shifted = _laterOnTies ? F.AddScalar(diff, 0.5f) : diff.Clone();
        using var sign = F.Sign(shifted);
        using var take = F.Relu(sign);
        using var keep = F.Affine(take, -1f, 1f);
        var nextCorrect = F.Minimum(_bestCorrect!, correct);
        _bestCorrect!.Dispose();
        _bestCorrect = nextCorrect;
        using var a = PerImage.Scale(candidate, take);
        using var b = PerImage.Scale(Best, keep);
        var next = F.Add(a, b);
        Best.Dispose();
        Best = next;
    }

    /// <summary>Hands the kept tensor to the caller (who disposes it).</summary>
    public Tensor Take()
    {
        var b = Best ?? throw new InvalidOperationException("no candidate was offered");
        Best = null;
        return b;
    }

    public void Dispose() { Best?.Dispose(); Best = null; _bestCorrect?.Dispose(); _bestCorrect = null; }
}
