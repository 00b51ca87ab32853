namespace RobustSeg.Nn;

/// <summary>semseg's poly schedule: lr = base_lr * (1 - iter / max_iter) ^ power, applied every iteration
/// to each group's own base LR (heads keep their 10x).</summary>
public sealed class PolyLR(SGD optimizer, long maxIter, double power = 0.9)
{
    public long MaxIter { get; } = maxIter > 0 ? maxIter : throw new ArgumentException($"poly LR: max_iter must be positive, got {maxIter}");
    public double Power { get; } = power;

    public static double Factor(long iter, long maxIter, double power = 0.9) =>
        Math.Pow(Math.Max(0.0, 1.0 - (double)iter / maxIter), power);

    /// <summary>Sets every group's LR for iteration `iter` (semseg's poly_learning_rate(curr_iter)). The original
    /// DDC-AT training scripts call it BEFORE each step with current_iter = epoch*iters_per_epoch + i + 1, so the
    /// k-th step (1-based) runs at iter k: the first step already below base_lr, the last one (k = max_iter) at 0.</summary>
    public void Apply(long iter)
    {
        double f = Factor(iter, MaxIter, Power);
        foreach (var g in optimizer.Groups) g.Lr = g.BaseLr * f;
    }
}
