using ILGPU;
using ILGPU.Runtime;
using RobustSeg.Kernels;

namespace RobustSeg.Engine.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <summary>On CUDA cuBLAS where it is installed (<see cref="CuBlas"/>), else the shared-memory tiled kernel
    /// with 16x16 groups (64x64 C tiles); on the CPU accelerator the strip kernel (see
    /// <see cref="GemmOnCpuAcceleratorUsesTiled"/>).</summary>
    public override void Gemm(in GemmDesc d, Tensor a, Tensor b, Tensor c)
    {
        Device.Kernels.Count("gemm");
        if (d.M == 0 || d.N == 0 || d.Batch == 0) return;
        if (_cublas.Value?.TryGemm(d, a, b, c) == true) return;
        if (!Device.IsCpuAccelerator) GemmTiled(d, a, b, c, GemmKernels.MaxGroupDim, GemmKernels.MaxGroupDim);
        else if (GemmOnCpuAcceleratorUsesTiled) GemmTiled(d, a, b, c, 1, 1);
        else GemmStrip(d, a, b, c);
    }

    /// <summary>The CPU accelerator simulates every group with OS threads and a barrier per group, so
    /// the tiled kernel with 1x1 groups (4x4 C tiles) is several times slower there than the strip
    /// kernel; both are tested on ilgpu-cpu.</summary>
    public static bool GemmOnCpuAcceleratorUsesTiled => false;

    /// <summary>Shared-memory tiled kernel with a (groupX x groupY) group, each thread 4x4 outputs.</summary>
    public void GemmTiled(in GemmDesc d, Tensor a, Tensor b, Tensor c, int groupX, int groupY)
    {
        int maxGroup = Device.Accelerator.MaxNumThreadsPerGroup;
        if (groupX < 1 || groupY < 1 || groupX > GemmKernels.MaxGroupDim || groupY > GemmKernels.MaxGroupDim || groupX * groupY > maxGroup)
            throw new ArgumentException($"gemm: group {groupX}x{groupY} not allowed (each side 1..{GemmKernels.MaxGroupDim}, at most {maxGroup} threads on {Device.Name})");
        if (d.M == 0 || d.N == 0 || d.Batch == 0) return;
        int tileN = groupX * GemmKernels.Reg, tileM = groupY * GemmKernels.Reg;
        var grid = new Index3D((d.N + tileN - 1) / tileN, (d.M + tileM - 1) / tileM, d.Batch);
        Device.Kernels.LaunchExplicit(GemmKernels.Tiled, new KernelConfig(grid, new Index3D(groupX, groupY, 1)), Args(d, a, b, c));
    }

    /// <summary>Strip kernel: chunks of (4 rows x up to 64 columns) items per index (CPU accelerator).</summary>
    public void GemmStrip(in GemmDesc d, Tensor a, Tensor b, Tensor c)
    {
        const int cols = 64;
        long items = (long)d.Batch * ((d.M + 3) / 4) * ((d.N + cols - 1) / cols);
        if (items == 0) return;
        var (grid, chunk) = Device.Kernels.Split(items, 1);
        var g = Args(d, a, b, c);
        g.Total = (int)items; g.Chunk = chunk; g.ColsPerItem = cols;
        Device.Kernels.Launch(GemmKernels.Strip, grid, g);
    }

    static GemmArgs Args(in GemmDesc d, Tensor a, Tensor b, Tensor c) => new()
    {
        A = a.View, B = b.View, C = c.View, M = d.M, N = d.N, K = d.K, Lda = d.Lda, Ldb = d.Ldb, Ldc = d.Ldc,
        TransA = d.TransA ? 1 : 0, TransB = d.TransB ? 1 : 0, Batch = d.Batch,
        OffA = d.OffsetA, OffB = d.OffsetB, OffC = d.OffsetC, StrideA = d.StrideA, StrideB = d.StrideB, StrideC = d.StrideC,
        Alpha = d.Alpha, Beta = d.Beta,
    };
}
