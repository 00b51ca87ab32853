using System.Runtime.CompilerServices;

namespace RobustSeg.Engine.Cpu;

/// <summary>Splits [0, n) into a few contiguous ranges per core; small jobs stay on the calling thread
/// (a Parallel.For costs microseconds, more than a small elementwise op).</summary>
public static class HostParallel
{
    /// <summary>Threads the host path uses: every core by default; a share of them when several processes
    /// run on one machine (mpirun, see <see cref="SetThreads"/>).</summary>
    public static int Cores { get; private set; } = Environment.ProcessorCount;
    static ParallelOptions Options = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>Limits the host path (and the ILGPU CPU accelerator created after this call) to n threads.
    /// Set before the first device is created; later devices keep the count they were built with.</summary>
    public static void SetThreads(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), $"threads must be >= 1, got {n}");
        Cores = n;
        Options = new ParallelOptions { MaxDegreeOfParallelism = n };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void For(long n, long minPerTask, Action<long, long> body)
    {
        if (n <= 0) return;
        int tasks = (int)Math.Min(Cores * 2, Math.Max(1, n / Math.Max(1, minPerTask)));
        if (tasks <= 1) { body(0, n); return; }
        long chunk = (n + tasks - 1) / tasks;
        Parallel.For(0, tasks, Options, t =>
        {
            long s = t * chunk, e = Math.Min(n, s + chunk);
            if (s < e) body(s, e);
        });
    }

    /// <summary>One task per item (items are large: a batch image, an output channel block).</summary>
    public static void Each(int n, Action<int> body)
    {
        if (n == 1) { body(0); return; }
        Parallel.For(0, n, Options, body);
    }
}
