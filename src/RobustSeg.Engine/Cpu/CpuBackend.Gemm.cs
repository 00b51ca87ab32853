namespace RobustSeg.Engine.Cpu;

public sealed unsafe partial class CpuBackend
{
    public override void Gemm(in GemmDesc d, Tensor a, Tensor b, Tensor c)
    {
        Device.Kernels.Count("gemm");
        float* pa = a.Ptr, pb = b.Ptr, pc = c.Ptr;
        var desc = d;
        for (int bi = 0; bi < d.Batch; bi++)
            HostGemm.Sgemm(desc.TransA, desc.TransB, desc.M, desc.N, desc.K, desc.Alpha,
                pa + desc.OffsetA + bi * desc.StrideA, desc.Lda,
                pb + desc.OffsetB + bi * desc.StrideB, desc.Ldb, desc.Beta,
                pc + desc.OffsetC + bi * desc.StrideC, desc.Ldc);
    }
}
