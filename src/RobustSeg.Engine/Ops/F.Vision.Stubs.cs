namespace RobustSeg.Engine;

// Signatures of the vision ops (issue 3). Each family moves to its own file (F.Conv.cs, ...) with
// kernels, host path, reference and gradient checks; until then these throw.
public static partial class F
{
    /// <summary>Bilinear resize with align_corners=True.</summary>
    public static Tensor InterpolateBilinear(Tensor x, int outH, int outW) => throw new NotImplementedException("interpolate_bilinear");

    /// <summary>Mean cross-entropy over non-ignored pixels of (N,K,H,W) logits and (N,H,W) int32 labels.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, int ignoreIndex = 255) => throw new NotImplementedException("cross_entropy");

    /// <summary>Per-pixel cross-entropy (N,H,W), 0 where the label is ignored.</summary>
    public static Tensor CrossEntropyPerPixel(Tensor logits, Tensor labels, int ignoreIndex = 255) => throw new NotImplementedException("cross_entropy_per_pixel");

    public static Tensor Softmax(Tensor x) => throw new NotImplementedException("softmax");
    public static Tensor LogSoftmax(Tensor x) => throw new NotImplementedException("log_softmax");
}
