using RobustSeg.Kernels;

namespace RobustSeg.Engine.Ilgpu;

public sealed partial class IlgpuBackend
{
    public override void InterpolateBilinear(Tensor x, Tensor y, int planes, int h, int w, int outH, int outW)
    {
        int n = planes * outH * outW;
        var (g, c) = K.Split(n, 256);
        K.Launch(InterpolateKernels.Bilinear, g, new InterpArgs
        {
            X = x.View, Y = y.View, H = h, W = w, OH = outH, OW = outW,
            ScaleH = InterpMath.Scale(h, outH), ScaleW = InterpMath.Scale(w, outW), N = n, Chunk = c,
        });
    }

    public override void InterpolateBilinearBackward(Tensor dy, Tensor dx, int planes, int h, int w, int outH, int outW)
    {
        int n = planes * h * w;
        var (g, c) = K.Split(n, 16);
        K.Launch(InterpolateKernels.BilinearGrad, g, new InterpGradArgs
        {
            DY = dy.View, DX = dx.View, H = h, W = w, OH = outH, OW = outW,
            ScaleH = InterpMath.Scale(h, outH), ScaleW = InterpMath.Scale(w, outW), N = n, Chunk = c,
        });
    }
}
