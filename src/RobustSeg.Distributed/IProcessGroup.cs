using RobustSeg.Engine;

namespace RobustSeg.Distributed;

/// <summary>The collectives data-parallel training and sharded evaluation need (DESIGN.md section 8).
/// Every rank must call the same collectives in the same order with the same lengths.</summary>
public interface IProcessGroup : IDisposable
{
    int Rank { get; }
    int WorldSize { get; }
    /// <summary>Rank among the processes on this machine (selects the GPU).</summary>
    int LocalRank { get; }
    /// <summary>"single", "mpi" or "nccl".</summary>
    string Backend { get; }

    void AllReduceSum(Span<float> data);
    void AllReduceSum(Span<double> data);
    void AllReduceSum(Span<long> data);
    void Broadcast(Span<float> data, int root);
    void Broadcast(Span<byte> data, int root);
    /// <summary>Gathers each rank's equal-length <paramref name="send"/> into <paramref name="recv"/>
    /// (length send.Length * WorldSize, rank order).</summary>
    void AllGather(ReadOnlySpan<float> send, Span<float> recv);
    void Barrier();
    /// <summary>Stops every rank of the job (MPI_Abort) with the given exit code; does not return.</summary>
    void Abort(int code, string message);

    /// <summary>Sum over ranks in place on the tensor's device buffer.</summary>
    void AllReduceSum(Tensor t);
    void Broadcast(Tensor t, int root);
}

public static class ProcessGroupExtensions
{
    public static bool IsMain(this IProcessGroup g) => g.Rank == 0;

    /// <summary>Mean over ranks: sum then scale by 1/N, so every rank gets bit-identical results.</summary>
    public static void AllReduceMean(this IProcessGroup g, Span<float> data)
    {
        g.AllReduceSum(data);
        if (g.WorldSize == 1) return;
        float s = 1f / g.WorldSize;
        for (int i = 0; i < data.Length; i++) data[i] *= s;
    }

    public static void AllReduceMean(this IProcessGroup g, Tensor t)
    {
        g.AllReduceSum(t);
        if (g.WorldSize == 1) return;
        var host = t.ToArray();
        float s = 1f / g.WorldSize;
        for (int i = 0; i < host.Length; i++) host[i] *= s;
        t.CopyFrom(host);
    }
}
