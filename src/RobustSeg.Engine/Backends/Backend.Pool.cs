namespace RobustSeg.Engine;

/// <summary>Geometry of a pooling op over Planes = N*C planes of H x W, giving OH x OW (kernel, stride and
/// padding are used by max pooling only).</summary>
public readonly record struct PoolGeometry(int Planes, int H, int W, int OH, int OW, int Kernel = 0, int Stride = 1, int Padding = 0);

public abstract partial class Backend
{
    // ----- pooling and dropout -----

    /// <summary>Max pooling (PyTorch semantics, -inf padding, floor mode); indices = flat h*W+w of the
    /// argmax within the plane, first max wins.</summary>
    public abstract void MaxPool2d(Tensor x, Tensor y, Tensor indices, in PoolGeometry g);
    /// <summary>dx as a gather over the windows covering each input pixel (no atomics).</summary>
    public abstract void MaxPool2dBackward(Tensor dy, Tensor indices, Tensor dx, in PoolGeometry g);
    public abstract void AdaptiveAvgPool2d(Tensor x, Tensor y, in PoolGeometry g);
    public abstract void AdaptiveAvgPool2dBackward(Tensor dy, Tensor dx, in PoolGeometry g);
    /// <summary>mask[k] (k = n*C + c) = 0 with probability p, else scale; same draw on every device.</summary>
    public abstract void Dropout2dMask(Tensor mask, ulong seed, float p, float scale);
}
