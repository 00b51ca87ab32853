using RobustSeg.Kernels;

namespace RobustSeg.Engine.Ilgpu;

public sealed partial class IlgpuBackend
{
    public override void MaxPool2d(Tensor x, Tensor y, Tensor indices, in PoolGeometry g)
    {
        int total = g.Planes * g.OH * g.OW;
        var (grid, ch) = K.Split(total, 64);
        K.Launch(PoolKernels.MaxPool, grid, new MaxPoolArgs
        {
            X = x.View, Y = y.View, Indices = indices.IntView, H = g.H, W = g.W, OH = g.OH, OW = g.OW,
            Kernel = g.Kernel, Stride = g.Stride, Padding = g.Padding, N = total, Chunk = ch,
        });
    }

    public override void MaxPool2dBackward(Tensor dy, Tensor indices, Tensor dx, in PoolGeometry g)
    {
        int total = g.Planes * g.H * g.W;
        var (grid, ch) = K.Split(total, 64);
        K.Launch(PoolKernels.MaxPoolBack, grid, new MaxPoolBackArgs
        {
            DY = dy.View, DX = dx.View, Indices = indices.IntView, H = g.H, W = g.W, OH = g.OH, OW = g.OW,
            Kernel = g.Kernel, Stride = g.Stride, Padding = g.Padding, N = total, Chunk = ch,
        });
    }

    public override void AdaptiveAvgPool2d(Tensor x, Tensor y, in PoolGeometry g)
    {
        int total = g.Planes * g.OH * g.OW;
        var (grid, ch) = K.Split(total, 64);
        K.Launch(PoolKernels.AdaptiveAvg, grid, new AdaptiveAvgArgs { X = x.View, Y = y.View, H = g.H, W = g.W, OH = g.OH, OW = g.OW, N = total, Chunk = ch });
    }

    public override void AdaptiveAvgPool2dBackward(Tensor dy, Tensor dx, in PoolGeometry g)
    {
        int total = g.Planes * g.H * g.W;
        var (grid, ch) = K.Split(total, 64);
        K.Launch(PoolKernels.AdaptiveAvgBack, grid, new AdaptiveAvgArgs { X = dy.View, Y = dx.View, H = g.H, W = g.W, OH = g.OH, OW = g.OW, N = total, Chunk = ch });
    }

    public override void Dropout2dMask(Tensor mask, ulong seed, float p, float scale)
    {
        int total = (int)mask.Numel;
        var (grid, ch) = K.Split(total, 256);
        K.Launch(DropoutKernels.DropoutMask, grid, new DropoutMaskArgs { M = mask.View, Seed = seed, P = p, Scale = scale, N = total, Chunk = ch });
    }
}
