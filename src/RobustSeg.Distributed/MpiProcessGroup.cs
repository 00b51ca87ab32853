using RobustSeg.Engine;

namespace RobustSeg.Distributed;

/// <summary>MPI collectives on host memory. Tensors on the cpu device are reduced in place on their
/// buffers through the host pointer (zero-copy); other devices go through a host copy.
/// Sums are a reduce to rank 0 followed by a broadcast of its bytes: every rank gets the bit-identical result
/// by construction (an allreduce's algorithm may add in a different order on different ranks), and for a fixed
/// world size and message size the order is fixed, so runs repeat exactly.</summary>
public sealed unsafe class MpiProcessGroup : IProcessGroup
{
    // MPI counts are int: large buffers are sent in chunks of this many elements.
    const int Chunk = 1 << 28;
    bool _disposed;

    public int Rank { get; }
    public int WorldSize { get; }
    public int LocalRank { get; }
    public string Backend => "mpi";

    public MpiProcessGroup()
    {
        int inited;
        MpiNative.Check(MpiNative.Initialized(&inited), "MPI_Initialized");
        if (inited == 0) MpiNative.Check(MpiNative.Init(null, null), "MPI_Init");
        int r, s;
        MpiNative.Check(MpiNative.CommRank(MpiNative.CommWorld, &r), "MPI_Comm_rank");
        MpiNative.Check(MpiNative.CommSize(MpiNative.CommWorld, &s), "MPI_Comm_size");
        Rank = r;
        WorldSize = s;
        LocalRank = LaunchEnvironment.LocalRank ?? r;
    }

    public void AllReduceSum(Span<float> data) { fixed (float* p = data) Reduce(p, data.Length, sizeof(float), MpiNative.Float); }
    public void AllReduceSum(Span<double> data) { fixed (double* p = data) Reduce(p, data.Length, sizeof(double), MpiNative.Double); }
    public void AllReduceSum(Span<long> data) { fixed (long* p = data) Reduce(p, data.Length, sizeof(long), MpiNative.LongLong); }

    void Reduce(void* p, long n, int elem, nint type)
    {
        for (long off = 0; off < n; off += Chunk)
        {
            int c = (int)Math.Min(Chunk, n - off);
            byte* q = (byte*)p + off * elem;
            // MPI_IN_PLACE is the send buffer at the root only; the other ranks pass theirs (recv is ignored there).
            MpiNative.Check(MpiNative.ReduceFn(Rank == 0 ? (void*)MpiNative.InPlace : q, Rank == 0 ? q : null, c, type,
                MpiNative.OpSum, 0, MpiNative.CommWorld), "MPI_Reduce");
            MpiNative.Check(MpiNative.Bcast(q, c, type, 0, MpiNative.CommWorld), "MPI_Bcast");
        }
    }

    public void Broadcast(Span<float> data, int root) { fixed (float* p = data) Bcast(p, data.Length, sizeof(float), MpiNative.Float, root); }
    public void Broadcast(Span<byte> data, int root) { fixed (byte* p = data) Bcast(p, data.Length, 1, MpiNative.Byte, root); }

    void Bcast(void* p, long n, int elem, nint type, int root)
    {
        if ((uint)root >= (uint)WorldSize) throw new ArgumentOutOfRangeException(nameof(root));
        for (long off = 0; off < n; off += Chunk)
        {
            int c = (int)Math.Min(Chunk, n - off);
            MpiNative.Check(MpiNative.Bcast((byte*)p + off * elem, c, type, root, MpiNative.CommWorld), "MPI_Bcast");
        }
    }

    public void AllGather(ReadOnlySpan<float> send, Span<float> recv)
    {
        if (recv.Length != (long)send.Length * WorldSize) throw new ArgumentException("recv must be send.Length * WorldSize");
        fixed (float* s = send)
        fixed (float* r = recv)
            MpiNative.Check(MpiNative.Allgather(s, send.Length, MpiNative.Float, r, send.Length, MpiNative.Float,
                MpiNative.CommWorld), "MPI_Allgather");
    }

    public void Barrier() => MpiNative.Check(MpiNative.BarrierFn(MpiNative.CommWorld), "MPI_Barrier");

    public void Abort(int code, string message)
    {
        Console.Error.WriteLine($"error: rank {Rank}: {message}");
        Console.Error.Flush();
        MpiNative.AbortFn(MpiNative.CommWorld, code);
        Environment.Exit(code); // MPI_Abort does not return; this is for a broken MPI only
    }

    public void AllReduceSum(Tensor t)
    {
        if (t.DType != DType.Float32) throw new ArgumentException("AllReduceSum(Tensor) takes Float32 tensors");
        if (t.Device.IsCpuAccelerator) { t.Device.Synchronize(); Reduce(t.Ptr, t.Numel, sizeof(float), MpiNative.Float); return; }
        var host = t.ToArray();
        AllReduceSum(host.AsSpan());
        t.CopyFrom(host);
    }

    public void Broadcast(Tensor t, int root)
    {
        if (t.DType != DType.Float32) throw new ArgumentException("Broadcast(Tensor) takes Float32 tensors");
        if (t.Device.IsCpuAccelerator) { t.Device.Synchronize(); Bcast(t.Ptr, t.Numel, sizeof(float), MpiNative.Float, root); return; }
        var host = t.ToArray();
        Broadcast(host.AsSpan(), root);
        t.CopyFrom(host);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        int fin;
        if (MpiNative.Finalized(&fin) == MpiNative.Success && fin == 0) MpiNative.Finalize();
    }
}
