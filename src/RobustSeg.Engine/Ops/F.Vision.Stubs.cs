namespace RobustSeg.Engine;

// Signatures of the vision ops (issue 3). Each family moves to its own file (F.Conv.cs, ...) with
// kernels, host path, reference and gradient checks; until then these throw.
public static partial class F
{
    /// <summary>Batch norm over (N, H, W) per channel. training: batch statistics (biased variance to
    /// normalise), running stats updated in place with momentum and unbiased variance; eval: running stats.</summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar,
        bool training, float momentum = 0.1f, float eps = 1e-5f) => throw new NotImplementedException("batch_norm2d");

    public static Tensor MaxPool2d(Tensor x, int kernel, int stride, int padding) => throw new NotImplementedException("max_pool2d");

    /// <summary>PyTorch's adaptive average pooling bins: [floor(i*H/out), ceil((i+1)*H/out)).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW) => throw new NotImplementedException("adaptive_avg_pool2d");

    /// <summary>Bilinear resize with align_corners=True.</summary>
    public static Tensor InterpolateBilinear(Tensor x, int outH, int outW) => throw new NotImplementedException("interpolate_bilinear");

    /// <summary>Zeroes whole channels with probability p and scales the rest by 1/(1-p); identity when not training.</summary>
    public static Tensor Dropout2d(Tensor x, float p, bool training, ulong seed) => throw new NotImplementedException("dropout2d");

    /// <summary>Mean cross-entropy over non-ignored pixels of (N,K,H,W) logits and (N,H,W) int32 labels.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, int ignoreIndex = 255) => throw new NotImplementedException("cross_entropy");

    /// <summary>Per-pixel cross-entropy (N,H,W), 0 where the label is ignored.</summary>
    public static Tensor CrossEntropyPerPixel(Tensor logits, Tensor labels, int ignoreIndex = 255) => throw new NotImplementedException("cross_entropy_per_pixel");

    public static Tensor Softmax(Tensor x) => throw new NotImplementedException("softmax");
    public static Tensor LogSoftmax(Tensor x) => throw new NotImplementedException("log_softmax");
}
