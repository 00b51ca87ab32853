using ILGPU.Runtime;
using ILGPU;
using RobustSeg.Engine;

namespace RobustSeg.Distributed;

/// <summary>NCCL collectives on CUDA tensors; host spans, barrier and abort go through the host group (MPI,
/// which also carries the communicator id from rank 0). Not exercised in CI (no GPU there): compiled, and run
/// on a GPU machine by scripts/gpu-check.sh with a one-rank communicator (<see cref="OneRank"/>, no MPI needed).</summary>
public sealed unsafe class NcclProcessGroup : IProcessGroup
{
    readonly IProcessGroup _mpi;
    nint _comm;

    public int Rank => _mpi.Rank;
    public int WorldSize => _mpi.WorldSize;
    public int LocalRank => _mpi.LocalRank;
    public string Backend => "nccl";

    /// <summary>Creates the communicator. The CUDA context of the local-rank-th GPU must be current on
    /// this thread (the cuda device was created before).</summary>
    public NcclProcessGroup(MpiProcessGroup mpi) : this((IProcessGroup)mpi) { }

    /// <summary>A one-rank communicator in a process without mpirun: exercises NCCL on one GPU (`bench
    /// allreduce --backend nccl`); host collectives are the identity.</summary>
    public static NcclProcessGroup OneRank() => new(SingleProcessGroup.Instance);

    NcclProcessGroup(IProcessGroup mpi)
    {
        _mpi = mpi;
        NcclUniqueId id;
        if (mpi.Rank == 0) NcclNative.Check(NcclNative.GetUniqueId(&id), "ncclGetUniqueId");
        mpi.Broadcast(new Span<byte>(&id, NcclUniqueId.Size), 0);
        nint comm;
        NcclNative.Check(NcclNative.CommInitRank(&comm, mpi.WorldSize, id, mpi.Rank), "ncclCommInitRank");
        _comm = comm;
    }

    public void AllReduceSum(Span<float> data) => _mpi.AllReduceSum(data);
    public void AllReduceSum(Span<double> data) => _mpi.AllReduceSum(data);
    public void AllReduceSum(Span<long> data) => _mpi.AllReduceSum(data);
    public void Broadcast(Span<float> data, int root) => _mpi.Broadcast(data, root);
    public void Broadcast(Span<byte> data, int root) => _mpi.Broadcast(data, root);
    public void AllGather(ReadOnlySpan<float> send, Span<float> recv) => _mpi.AllGather(send, recv);
    public void Barrier() => _mpi.Barrier();
    public void Abort(int code, string message) => _mpi.Abort(code, message);

    public void AllReduceSum(Tensor t)
    {
        if (t.Device.Kind != DeviceKind.Cuda) { _mpi.AllReduceSum(t); return; }
        var p = DevicePtr(t);
        Run(() => NcclNative.AllReduce(p, p, (nuint)t.Numel, NcclNative.NcclFloat32, NcclNative.NcclSum, _comm, 0), "ncclAllReduce");
    }

    public void Broadcast(Tensor t, int root)
    {
        if (t.Device.Kind != DeviceKind.Cuda) { _mpi.Broadcast(t, root); return; }
        var p = DevicePtr(t);
        Run(() => NcclNative.Broadcast(p, p, (nuint)t.Numel, NcclNative.NcclFloat32, root, _comm, 0), "ncclBroadcast");
    }

    static nint DevicePtr(Tensor t)
    {
        if (t.DType != DType.Float32) throw new ArgumentException("NCCL collectives take Float32 tensors");
        return (nint)t.View.LoadEffectiveAddressAsPtr();
    }

    static void Run(Func<int> call, string name)
    {
        NcclNative.Check(CudaDriver.CtxSynchronize(), "cuCtxSynchronize");
        NcclNative.Check(call(), name);
        NcclNative.Check(CudaDriver.CtxSynchronize(), "cuCtxSynchronize");
    }

    public void Dispose()
    {
        if (_comm != 0) { NcclNative.CommDestroy(_comm); _comm = 0; }
        _mpi.Dispose();
    }
}
