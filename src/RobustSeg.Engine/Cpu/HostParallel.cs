using System.Runtime.CompilerServices;

namespace RobustSeg.Engine.Cpu;

/// <summary>Splits [0, n) into a few contiguous ranges per core; small jobs stay on the calling thread
/// (starting a parallel job costs microseconds, more than a small elementwise op). Jobs run on <see cref="HostWorkers"/>.</summary>
public static class HostParallel
{
    /// <summary>Threads the host path uses: every core by default; a share of them when several processes
    /// run on one machine (mpirun, see <see cref="SetThreads"/>).</summary>
    public static int Cores { get; private set; } = Environment.ProcessorCount;
    static HostWorkers? _workers;
    static readonly object _workersGate = new();

    /// <summary>The worker threads for <see cref="Cores"/>, started on first use (and again after a change of count).</summary>
    static HostWorkers Workers
    {
        get
        {
            var w = _workers;
            if (w is not null && w.Size == Cores) return w;
            lock (_workersGate)
            {
                if (_workers is null || _workers.Size != Cores)
                {
                    _workers?.Stop();
                    _workers = new HostWorkers(Cores);
                }
                return _workers;
            }
        }
    }

    /// <summary>Limits the host path (and the ILGPU CPU accelerator created after this call) to n threads.
    /// Set before the first device is created; later devices keep the count they were built with.</summary>
    public static void SetThreads(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), $"threads must be >= 1, got {n}");
        Cores = n;
    }

    /// <summary>Whether this thread runs inside a parallel job's item, where a nested job runs serially on it: work that
    /// would cut itself into parts for the cores runs as one part there.</summary>
    public static bool InItem => HostWorkers.Inside;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void For(long n, long minPerTask, Action<long, long> body)
    {
        if (n <= 0) return;
        int tasks = (int)Math.Min(Cores * 2, Math.Max(1, n / Math.Max(1, minPerTask)));
        if (tasks <= 1) { body(0, n); return; }
        long chunk = (n + tasks - 1) / tasks;
        Workers.Run(tasks, t =>
        {
            long s = t * chunk, e = Math.Min(n, s + chunk);
            if (s < e) body(s, e);
        });
    }

    /// <summary>Parts to cut each of n images into so that n x parts tasks give every core the same number: cores / gcd(n,
    /// cores) (one image on 2 cores: 2 parts; 2 images: 1).</summary>
    public static int PartsPerImage(int images) => Cores / Gcd(images, Cores);

    static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>One task per item (items are large: a batch image, an output channel block).</summary>
    public static void Each(int n, Action<int> body)
    {
        if (n == 1) { body(0); return; }
        Workers.Run(n, body);
    }
}
