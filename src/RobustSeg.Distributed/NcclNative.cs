using System.Runtime.InteropServices;

namespace RobustSeg.Distributed;

/// <summary>ncclUniqueId: 128 opaque bytes, passed by value to ncclCommInitRank.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclUniqueId
{
    public const int Size = 128;
    public fixed byte Internal[Size];
}

/// <summary>Binding of the NCCL calls we need over libnccl.so.2, loaded at run time so that machines without
/// NCCL build and run everything else. Signatures follow nccl.h (NCCL 2.x).</summary>
internal static unsafe class NcclNative
{
    public const string LibName = "libnccl.so.2";
    public const int NcclFloat32 = 7; // ncclDataType_t ncclFloat32
    public const int NcclSum = 0;     // ncclRedOp_t ncclSum

    public static readonly nint Lib = Load();
    public static readonly delegate* unmanaged<NcclUniqueId*, int> GetUniqueId =
        (delegate* unmanaged<NcclUniqueId*, int>)Fn("ncclGetUniqueId");
    // ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank)
    public static readonly delegate* unmanaged<nint*, int, NcclUniqueId, int, int> CommInitRank =
        (delegate* unmanaged<nint*, int, NcclUniqueId, int, int>)Fn("ncclCommInitRank");
    // ncclAllReduce(send, recv, size_t count, type, op, comm, cudaStream_t)
    public static readonly delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int> AllReduce =
        (delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int>)Fn("ncclAllReduce");
    // ncclBroadcast(send, recv, size_t count, type, int root, comm, cudaStream_t)
    public static readonly delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int> Broadcast =
        (delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int>)Fn("ncclBroadcast");
    public static readonly delegate* unmanaged<nint, int> CommDestroy = (delegate* unmanaged<nint, int>)Fn("ncclCommDestroy");
    public static readonly delegate* unmanaged<int, nint> GetErrorString = (delegate* unmanaged<int, nint>)Fn("ncclGetErrorString");

    static nint Fn(string name) => NativeLibrary.GetExport(Lib, name);

    static nint Load() => NativeLibrary.TryLoad(LibName, out var h)
        ? h
        : throw new DllNotFoundException(
            $"{LibName} (NVIDIA NCCL) was not found: install it (Debian: `apt-get install libnccl2`, or NVIDIA's " +
            "nccl packages) or set Distributed.dist_backend: mpi");

    public static void Check(int rc, string call)
    {
        if (rc == 0) return;
        var msg = Marshal.PtrToStringAnsi(GetErrorString(rc)) ?? "unknown";
        throw new InvalidOperationException($"{call} failed: NCCL error {rc} ({msg})");
    }
}

/// <summary>cuCtxSynchronize from the CUDA driver (which ILGPU already loaded): NCCL runs on the legacy
/// default stream, so we wait for the context before and after a collective.</summary>
internal static unsafe class CudaDriver
{
    static readonly nint Lib = NativeLibrary.Load("libcuda.so.1");
    public static readonly delegate* unmanaged<int> CtxSynchronize =
        (delegate* unmanaged<int>)NativeLibrary.GetExport(Lib, "cuCtxSynchronize");
}
