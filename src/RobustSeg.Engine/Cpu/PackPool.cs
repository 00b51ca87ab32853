using System.Collections.Concurrent;

namespace RobustSeg.Engine.Cpu;

/// <summary>Reusable packing buffers for <see cref="HostGemm"/> (no allocation per GEMM once warm).
/// A bag rather than [ThreadStatic]: the calling thread holds its B block across a parallel loop,
/// during which it may run other work.</summary>
internal static class PackPool
{
    static readonly ConcurrentBag<float[]> Free = new();

    public static float[] Rent(int n)
    {
        // A few buffers at most are ever live; a too small one is dropped and replaced by a larger one.
        if (Free.TryTake(out var buf) && buf.Length >= n) return buf;
        return GC.AllocateUninitializedArray<float>(Math.Max(n, 1024), pinned: false);
    }

    public static void Return(float[] buf)
    {
        if (Free.Count < 16) Free.Add(buf);
    }
}
