using RobustSeg.Engine;

namespace RobustSeg.Nn;

/// <summary>nn.ReLU (no state).</summary>
public sealed class ReLU : Module
{
    public override Tensor Forward(Tensor x) => F.Relu(x);
}

/// <summary>nn.MaxPool2d with a square window.</summary>
public sealed class MaxPool2d(int kernel, int stride, int padding) : Module
{
    public int Kernel { get; } = kernel;
    public int Stride { get; } = stride;
    public int Padding { get; } = padding;
    public override Tensor Forward(Tensor x) => F.MaxPool2d(x, Kernel, Stride, Padding);
}

/// <summary>nn.AdaptiveAvgPool2d to a square output.</summary>
public sealed class AdaptiveAvgPool2d(int outputSize) : Module
{
    public int OutputSize { get; } = outputSize;
    public override Tensor Forward(Tensor x) => F.AdaptiveAvgPool2d(x, OutputSize, OutputSize);
}

/// <summary>nn.Dropout2d. Each training call draws a fresh channel mask from (Seed, call counter), so a run
/// is reproducible from the seed; identity in eval mode.</summary>
public sealed class Dropout2d(float p, ulong seed = 0) : Module
{
    public float P { get; set; } = p;
    public ulong Seed { get; set; } = seed;
    public ulong Calls { get; private set; }
    /// <summary>The mask seed of the next forwards, set by the caller (training sets one per iteration and module,
    /// so a resumed run draws the same masks as an uninterrupted one). Null: a fresh mask per call from
    /// <see cref="Seed"/> and a call counter, as PyTorch's dropout draws anew each call.</summary>
    public ulong? StepSeed { get; set; }
    /// <summary>Where each sample of the next forwards sits in the global batch (data-parallel training: a rank's
    /// shard draws the whole batch's mask rows, so masks do not depend on the number of ranks). Null: 0..N-1.</summary>
    public IReadOnlyList<int>? SamplePositions { get; set; }

    public override Tensor Forward(Tensor x)
    {
        if (!IsTraining || P <= 0f) return x;
        ulong s = StepSeed ?? Seed * 0x9E3779B97F4A7C15UL + Calls++;
        return F.Dropout2d(x, P, true, s, SamplePositions);
    }
}
