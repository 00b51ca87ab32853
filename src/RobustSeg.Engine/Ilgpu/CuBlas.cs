using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace RobustSeg.Engine.Ilgpu;

/// <summary>cuBLAS SGEMM on the device's stream, for the CUDA GEMM (and so every convolution). ILGPU.Algorithms'
/// wrapper loads only libcublas.so.12/11/10 and has no strided-batched call, so this binds the few v2 entry
/// points itself, at run time: a machine without cuBLAS keeps the ILGPU tiled kernel, which stays the reference
/// and the fallback. Plain float32 (default math mode, no TF32), so results match the ILGPU kernel to rounding.
/// ROBUSTSEG_CUBLAS=0 turns it off; ROBUSTSEG_CUBLAS=/path/libcublas.so.N picks the library.</summary>
public sealed unsafe class CuBlas : IDisposable
{
    static readonly string[] Names = ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"];
    const int OpN = 0, OpT = 1;

    readonly nint _lib, _handle;
    readonly delegate* unmanaged<nint, int, int, int, int, int, float*, float*, int, float*, int, float*, float*, int, int> _sgemm;
    readonly delegate* unmanaged<nint, int, int, int, int, int, float*, float*, int, long, float*, int, long, float*, float*, int, long, int, int> _sgemmBatched;
    readonly delegate* unmanaged<nint, int> _destroy;

    /// <summary>Library file and version, for `robustseg info`.</summary>
    public string Describe { get; }

    CuBlas(nint lib, string name, CudaAccelerator acc)
    {
        _lib = lib;
        var create = (delegate* unmanaged<nint*, int>)Export("cublasCreate_v2");
        var setStream = (delegate* unmanaged<nint, nint, int>)Export("cublasSetStream_v2");
        var getVersion = (delegate* unmanaged<nint, int*, int>)Export("cublasGetVersion_v2");
        _sgemm = (delegate* unmanaged<nint, int, int, int, int, int, float*, float*, int, float*, int, float*, float*, int, int>)Export("cublasSgemm_v2");
        _sgemmBatched = (delegate* unmanaged<nint, int, int, int, int, int, float*, float*, int, long, float*, int, long, float*, float*, int, long, int, int>)Export("cublasSgemmStridedBatched");
        _destroy = (delegate* unmanaged<nint, int>)Export("cublasDestroy_v2");
        acc.Bind();
        nint h;
        Check(create(&h), "cublasCreate_v2");
        _handle = h;
        // Same stream as the ILGPU kernels, so GEMMs are ordered with them without extra synchronisation.
        Check(setStream(h, ((CudaStream)acc.DefaultStream).StreamPtr), "cublasSetStream_v2");
        int version = 0;
        getVersion(h, &version);
        Describe = $"{name} {version / 10000}.{version / 100 % 100}.{version % 100}";
    }

    nint Export(string name) => NativeLibrary.GetExport(_lib, name);

    /// <summary>cuBLAS for a CUDA accelerator, or null where the library is absent or turned off.</summary>
    public static CuBlas? TryCreate(Accelerator acc)
    {
        if (acc is not CudaAccelerator cuda) return null;
        var env = Environment.GetEnvironmentVariable("ROBUSTSEG_CUBLAS");
        if (env == "0") return null;
        var candidates = string.IsNullOrEmpty(env) || env == "1" ? Names : [env];
        foreach (var name in candidates)
            if (NativeLibrary.TryLoad(name, out var lib))
                return new CuBlas(lib, name, cuda);
        return null;
    }

    /// <summary>Row-major C = alpha op(A) op(B) + beta C as the column-major product Cᵀ = op(B)ᵀ op(A)ᵀ.
    /// Returns false (nothing launched) for leading dimensions cuBLAS would reject, so the caller can use the
    /// ILGPU kernel instead.</summary>
    public bool TryGemm(in GemmDesc d, Tensor a, Tensor b, Tensor c)
    {
        if (!Accepts(d)) return false;
        float* pa = Ptr(a) + d.OffsetA, pb = Ptr(b) + d.OffsetB, pc = Ptr(c) + d.OffsetC;
        float alpha = d.Alpha, beta = d.Beta;
        int opB = d.TransB ? OpT : OpN, opA = d.TransA ? OpT : OpN;
        if (d.Batch == 1)
            Check(_sgemm(_handle, opB, opA, d.N, d.M, d.K, &alpha, pb, d.Ldb, pa, d.Lda, &beta, pc, d.Ldc), "cublasSgemm_v2");
        else
            Check(_sgemmBatched(_handle, opB, opA, d.N, d.M, d.K, &alpha, pb, d.Ldb, d.StrideB, pa, d.Lda, d.StrideA,
                &beta, pc, d.Ldc, d.StrideC, d.Batch), "cublasSgemmStridedBatched");
        return true;
    }

    /// <summary>True when cuBLAS takes the descriptor's leading dimensions: in the column-major view B is
    /// (op ? K : N) rows of ldb, A (op ? M : K) rows of lda, C N rows of ldc, and each ld must cover its rows.</summary>
    public static bool Accepts(in GemmDesc d) =>
        d.Ldb >= Math.Max(1, d.TransB ? d.K : d.N) && d.Lda >= Math.Max(1, d.TransA ? d.M : d.K) && d.Ldc >= Math.Max(1, d.N);

    static float* Ptr(Tensor t) => (float*)t.View.LoadEffectiveAddressAsPtr();

    static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"{call} failed: cuBLAS status {status}");
    }

    public void Dispose()
    {
        if (_handle != 0) _destroy(_handle);
    }
}
