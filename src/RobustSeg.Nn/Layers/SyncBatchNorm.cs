using RobustSeg.Engine;

namespace RobustSeg.Nn;

/// <summary>What a synchronised batch norm needs from the processes: an in-place sum over every rank, the same
/// bytes on each (the distributed layer implements it; Nn knows no processes).</summary>
public interface IBatchNormSync
{
    void SumInPlace(Tensor t);
}

/// <summary>Training batch norm over the global batch of all ranks (PyTorch's SyncBatchNorm), composed of engine
/// ops so the fused BatchNorm kernels stay as they are: per channel the local sum and sum of squares are summed
/// over ranks (one [2C] collective), mean and biased variance normalise, and the autograd of the composed ops
/// gives the backward, whose only collective is the same [2C] sum of the two per-channel gradient sums. The value
/// count travels in the forward's message as three 12-bit float digits (exact sums for up to 4096 ranks and 2^36
/// values), so each layer costs one collective forward and one backward.
/// Running statistics take the global mean and the unbiased global variance, so they are identical on every
/// rank. The variance is E[x^2] - mean^2 in float32 (the sum / sum-of-squares formulation); with one
/// rank it agrees with the fused kernel to float rounding, not bit for bit.</summary>
public static class SyncBatchNorm
{
    public static Tensor Forward(BatchNorm2d bn, Tensor x, IBatchNormSync sync)
    {
        if (x.Rank != 4 || x.Size(1) != bn.NumFeatures)
            throw new ArgumentException($"sync batch norm: expected (N, {bn.NumFeatures}, H, W), got {x.ShapeString}");
        int c = bn.NumFeatures;
        long local = (long)x.Size(0) * x.Size(2) * x.Size(3);
        if (local >= 1L << 36) throw new ArgumentException($"sync batch norm: {local} values per channel is more than the count encoding holds");
        int[] axes = [0, 2, 3];
        var digits = Tensor.FromArray(x.Device, new float[] { local >> 24, (local >> 12) & 0xFFF, local & 0xFFF }, 3);
        var stats = F.CrossProcessSum(F.Cat([F.Sum(x, axes), F.Sum(F.Square(x), axes), digits], 0), sync.SumInPlace);
        long m = GlobalCount(stats, 2 * c);
        if (m <= 1) throw new ArgumentException($"sync batch norm: expected more than 1 value per channel over all ranks, got {m}");
        float inv = (float)(1.0 / m);
        var mean = F.MulScalar(F.Narrow(stats, 0, 0, c), inv);
        var var = F.Sub(F.MulScalar(F.Narrow(stats, 0, c, c), inv), F.Square(mean));
        var invstd = F.RDivScalar(1f, F.Sqrt(F.AddScalar(F.Relu(var), bn.Eps)));
        var scale = F.Mul(bn.Weight, invstd);
        var shift = F.Sub(bn.Bias, F.Mul(mean, scale));
        UpdateRunning(bn, mean, var, m);
        return F.AddChannel(F.MulChannel(x, scale), shift);
    }

    /// <summary>The summed count digits (exact integers in float) read back: one small device read per layer.</summary>
    static long GlobalCount(Tensor stats, int at)
    {
        using var scope = Tensor.Scope();
        using var ng = Autograd.NoGrad();
        var d = F.Narrow(stats, 0, at, 3).ToArray();
        return ((long)d[0] << 24) + ((long)d[1] << 12) + (long)d[2];
    }

    static void UpdateRunning(BatchNorm2d bn, Tensor mean, Tensor var, long m)
    {
        using var ng = Autograd.NoGrad();
        using var scope = Tensor.Scope();
        float mom = bn.Momentum;
        var unbiased = F.MulScalar(var, (float)((double)m / (m - 1)));
        F.AxpbyInto(1f - mom, bn.RunningMean, mom, mean, bn.RunningMean);
        F.AxpbyInto(1f - mom, bn.RunningVar, mom, unbiased, bn.RunningVar);
    }
}
