namespace RobustSeg.Engine.Cpu;

public sealed unsafe partial class CpuBackend
{
    public override void Gemm(in GemmDesc d, Tensor a, Tensor b, Tensor c)
    {
        Device.Kernels.Count("gemm");
        float* pa = a.Ptr, pb = b.Ptr, pc = c.Ptr;
        HostGemm.SgemmBatched(d.Batch, d.TransA, d.TransB, d.M, d.N, d.K, d.Alpha,
            pa + d.OffsetA, d.Lda, d.StrideA, pb + d.OffsetB, d.Ldb, d.StrideB, d.Beta, pc + d.OffsetC, d.Ldc, d.StrideC);
    }
}
