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
        var total = F.MulScalar(F.Sum(map), 1f / Math.Max(1, target.ValidTotal));
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
/// or with <c>laterOnTies</c> take the later one (the reference APGD loop's <c>avg_acc &lt;= acc</c>).</summary>
internal sealed class WorstCase : IDisposable
{
    readonly bool _laterOnTies;
    public Tensor? Best { get; private set; }
    public double[] Accuracy { get; }

    public WorstCase(int n, bool laterOnTies = false)
    {
        _laterOnTies = laterOnTies;
        Accuracy = new double[n];
        Array.Fill(Accuracy, double.PositiveInfinity);
    }

    public void Offer(Tensor candidate, double[] acc)
    {
        if (Best is null)
        {
            using (Tensor.NoScope()) Best = candidate.Clone();
            Array.Copy(acc, Accuracy, acc.Length);
            return;
        }
        var take = new bool[acc.Length];
        bool any = false;
        for (int i = 0; i < acc.Length; i++) if (acc[i] < Accuracy[i] || (_laterOnTies && acc[i] == Accuracy[i])) { take[i] = true; any = true; Accuracy[i] = acc[i]; }
        if (!any) return;
        Tensor next;
        using (Tensor.NoScope()) next = PerImage.Select(take, candidate, Best);
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

    public void Dispose() { Best?.Dispose(); Best = null; }
}
