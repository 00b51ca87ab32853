using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace RobustSeg.Engine.Cpu;

/// <summary>The host path's worker threads: Cores - 1 threads that, after an item, spin for the next job a while before
/// they sleep, as OpenMP's workers do. A training step issues hundreds of parallel ops a few hundred microseconds apart;
/// waking a sleeping thread-pool thread for each (a futex and, on a virtual machine, a hypervisor exit) cost 7-10 % of a
/// DDC-AT iteration, measured. The caller runs items too; items are claimed one at a time, so which thread runs an item
/// never changes what it computes. A job started from inside an item, or while another thread's job runs, runs on
/// the calling thread.</summary>
internal sealed class HostWorkers
{
    /// <summary>How long an idle worker spins before it sleeps: a few ops' worth of serial host work between parallel ones.</summary>
    static readonly long SpinTicks = Stopwatch.Frequency / 2000;   // 0.5 ms

    sealed class Work(int n, Action<int> body)
    {
        public readonly int N = n;
        public readonly Action<int> Body = body;
        public int Next, Done;
        public ExceptionDispatchInfo? Error;

        /// <summary>Claims and runs items until none is left.</summary>
        public void Help()
        {
            int i;
            while ((i = Interlocked.Increment(ref Next) - 1) < N)
            {
                try { Body(i); }
                catch (Exception e) { Interlocked.CompareExchange(ref Error, ExceptionDispatchInfo.Capture(e), null); }
                finally { Interlocked.Increment(ref Done); }
            }
        }
    }

    public readonly int Size;
    readonly object _gate = new(), _run = new();
    Work? _work;
    int _sleepers;
    volatile bool _stopped;
    [ThreadStatic] static bool _inside;

    /// <summary>Whether this thread is running a job's items (a job it starts runs on it alone).</summary>
    public static bool Inside => _inside;

    /// <summary>size threads in all: the caller and size - 1 workers.</summary>
    public HostWorkers(int size)
    {
        Size = size;
        for (int t = 1; t < size; t++)
            new Thread(Loop) { IsBackground = true, Name = $"robustseg-host-{t}" }.Start();
    }

    /// <summary>body(0) .. body(n - 1), spread over the workers and the calling thread; returns when all are done and
    /// rethrows the first exception an item threw.</summary>
    public void Run(int n, Action<int> body)
    {
        if (n <= 0) return;
        if (n == 1 || Size == 1 || _inside || !Monitor.TryEnter(_run))
        {
            for (int i = 0; i < n; i++) body(i);
            return;
        }
        try
        {
            _inside = true;
            var w = new Work(n, body);
            Interlocked.Exchange(ref _work, w);   // a full fence: a worker going to sleep after this sees w
            if (Volatile.Read(ref _sleepers) > 0) lock (_gate) Monitor.PulseAll(_gate);
            w.Help();
            var spin = new SpinWait();
            while (Volatile.Read(ref w.Done) < n) spin.SpinOnce(sleep1Threshold: -1);
            w.Error?.Throw();
        }
        finally
        {
            _inside = false;
            Monitor.Exit(_run);
        }
    }

    /// <summary>Lets the workers end (their next wake-up returns).</summary>
    public void Stop()
    {
        _stopped = true;
        lock (_gate) Monitor.PulseAll(_gate);
    }

    void Loop()
    {
        _inside = true;
        Work? last = null;
        while (!_stopped)
        {
            Work? w;
            long until = Stopwatch.GetTimestamp() + SpinTicks;
            while ((w = Volatile.Read(ref _work)) == last && Stopwatch.GetTimestamp() < until) Thread.SpinWait(20);
            if (w == last)
            {
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while ((w = Volatile.Read(ref _work)) == last && !_stopped) Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (w is null || w == last) continue;
            last = w;
            w.Help();
        }
    }
}
