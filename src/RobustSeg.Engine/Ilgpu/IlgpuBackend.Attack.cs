using RobustSeg.Kernels;

namespace RobustSeg.Engine.Ilgpu;

public sealed partial class IlgpuBackend
{
    public override void AttackStep(Tensor x, Tensor g, Tensor x0, Tensor y, float alpha, float eps, bool useSign)
    {
        int n = (int)x.Numel;
        var (grid, c) = K.Split(n, 256);
        K.Launch(AttackKernels.Step, grid, new AttackStepArgs { X = x.View, G = g.View, X0 = x0.View, Y = y.View, Alpha = alpha, Eps = eps, UseSign = useSign ? 1 : 0, N = n, Chunk = c });
    }
}
