using RobustSeg.Engine;

namespace RobustSeg.Distributed;

/// <summary>One process without mpirun: every collective is the identity, so code paths stay the same.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    public static readonly SingleProcessGroup Instance = new();
    public int Rank => 0;
    public int WorldSize => 1;
    public int LocalRank => 0;
    public string Backend => "single";
    public void AllReduceSum(Span<float> data) { }
    public void AllReduceSum(Span<double> data) { }
    public void AllReduceSum(Span<long> data) { }
    public void Broadcast(Span<float> data, int root) => CheckRoot(root);
    public void Broadcast(Span<byte> data, int root) => CheckRoot(root);
    public void AllGather(ReadOnlySpan<float> send, Span<float> recv)
    {
        if (recv.Length != send.Length) throw new ArgumentException("recv must be send.Length * WorldSize");
        send.CopyTo(recv);
    }
    public void Barrier() { }
    public void Abort(int code, string message)
    {
        Console.Error.WriteLine($"error: rank 0: {message}");
        Environment.Exit(code);
    }
    public void AllReduceSum(Tensor t) { }
    public void Broadcast(Tensor t, int root) => CheckRoot(root);
    public void Dispose() { }
    static void CheckRoot(int root)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), "single process: root must be 0");
    }
}
