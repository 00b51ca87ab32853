using RobustSeg.Kernels;

namespace RobustSeg.Engine.Ilgpu;

public sealed partial class IlgpuBackend
{
    public override void Gemm(in GemmDesc d, Tensor a, Tensor b, Tensor c)
    {
        Device.Kernels.Count("gemm");
        int total = d.Batch * d.M * d.N;
        var (g, ch) = K.Split(total, 16);
        K.Launch(GemmKernels.Naive, g, new GemmArgs
        {
            A = a.View, B = b.View, C = c.View, M = d.M, N = d.N, K = d.K, Lda = d.Lda, Ldb = d.Ldb, Ldc = d.Ldc,
            TransA = d.TransA ? 1 : 0, TransB = d.TransB ? 1 : 0, Batch = d.Batch,
            OffA = d.OffsetA, OffB = d.OffsetB, OffC = d.OffsetC, StrideA = d.StrideA, StrideB = d.StrideB, StrideC = d.StrideC,
            Alpha = d.Alpha, Beta = d.Beta, Total = total, Chunk = ch,
        });
    }
}
