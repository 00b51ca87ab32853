using System.Diagnostics;
using RobustSeg.Engine;

namespace RobustSeg.Distributed;

/// <summary>A process group that adds up the seconds spent in its collectives (the communication share of a
/// data-parallel iteration). Time in a collective includes waiting for the slowest rank.</summary>
public sealed class TimedProcessGroup(IProcessGroup inner) : IProcessGroup
{
    readonly Stopwatch _clock = new();
    public double Seconds => _clock.Elapsed.TotalSeconds;
    public IProcessGroup Inner => inner;

    public int Rank => inner.Rank;
    public int WorldSize => inner.WorldSize;
    public int LocalRank => inner.LocalRank;
    public string Backend => inner.Backend;

    void Time(Action f) { _clock.Start(); try { f(); } finally { _clock.Stop(); } }

    public void AllReduceSum(Span<float> data) { _clock.Start(); try { inner.AllReduceSum(data); } finally { _clock.Stop(); } }
    public void AllReduceSum(Span<double> data) { _clock.Start(); try { inner.AllReduceSum(data); } finally { _clock.Stop(); } }
    public void AllReduceSum(Span<long> data) { _clock.Start(); try { inner.AllReduceSum(data); } finally { _clock.Stop(); } }
    public void Broadcast(Span<float> data, int root) { _clock.Start(); try { inner.Broadcast(data, root); } finally { _clock.Stop(); } }
    public void Broadcast(Span<byte> data, int root) { _clock.Start(); try { inner.Broadcast(data, root); } finally { _clock.Stop(); } }
    public void AllGather(ReadOnlySpan<float> send, Span<float> recv) { _clock.Start(); try { inner.AllGather(send, recv); } finally { _clock.Stop(); } }
    public void Barrier() => Time(inner.Barrier);
    public void Abort(int code, string message) => inner.Abort(code, message);
    public void AllReduceSum(Tensor t) => Time(() => inner.AllReduceSum(t));
    public void Broadcast(Tensor t, int root) => Time(() => inner.Broadcast(t, root));
    /// <summary>The inner group belongs to whoever created it (the launch disposes it).</summary>
    public void Dispose() { }
}
