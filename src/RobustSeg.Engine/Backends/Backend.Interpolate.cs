namespace RobustSeg.Engine;

public abstract partial class Backend
{
    /// <summary>y (P, OH, OW) = bilinear resize of x (P, H, W) with align_corners=True.</summary>
    public abstract void InterpolateBilinear(Tensor x, Tensor y, int planes, int h, int w, int outH, int outW);

    /// <summary>dx (P, H, W) from dy (P, OH, OW): each input pixel gathers the outputs that sample it.</summary>
    public abstract void InterpolateBilinearBackward(Tensor dy, Tensor dx, int planes, int h, int w, int outH, int outW);
}
