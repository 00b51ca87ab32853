using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Benchmarks;

/// <summary>One peak measurement: the timed rounds, the flops of one round, the threads that ran.</summary>
public sealed record PeakResult(int Width, int Threads, BenchStats Stats, double FlopsPerRound)
{
    /// <summary>GFLOP/s of the median round.</summary>
    public double Gflops => FlopsPerRound / (Stats.MedianMs * 1e6);
}

/// <summary>The host's fp32 FMA peak: every thread runs <see cref="Chains"/> independent accumulator
/// chains of FMAs (enough to cover FMA latency x ports on current x86 cores), nothing else, so the figure
/// is what the FMA units deliver, the ceiling for the host GEMM. 2 flops per lane per FMA.</summary>
public static class PeakProbe
{
    public const int Chains = 12;
    const int TimedRounds = 5;

    /// <summary>Vector widths (bits) this host can run the probe at: 256 with FMA, 512 with AVX-512F.</summary>
    public static IReadOnlyList<int> Widths()
    {
        var w = new List<int>();
        if (Fma.IsSupported) w.Add(256);
        if (Avx512F.IsSupported) w.Add(512);
        return w;
    }

    /// <summary>Runs about `seconds`: a single-thread calibration, one untimed parallel round that
    /// rescales the work per round, then <see cref="TimedRounds"/> timed rounds of fixed work.</summary>
    public static PeakResult Measure(int width, int threads, double seconds)
    {
        if (width != 256 && width != 512) throw new ArgumentOutOfRangeException(nameof(width), width, "256 or 512");
        if (width == 256 && !Fma.IsSupported || width == 512 && !Avx512F.IsSupported)
            throw new PlatformNotSupportedException($"no {width}-bit FMA on this host");
        if (threads <= 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "must be positive");
        double roundSeconds = seconds / (TimedRounds + 1);
        Func<long, float> kernel = width == 256 ? Fma256 : Fma512;

        // Single-thread rate; the kernel is compiled fully optimised at first call (no tiering).
        long iters = 1 << 12;
        double t;
        while (true)
        {
            var t0 = Stopwatch.GetTimestamp();
            Sink(kernel(iters));
            t = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (t >= 0.01 || iters >= 1L << 40) break;
            iters *= 4;
        }
        iters = Math.Max(1, (long)(iters * roundSeconds / Math.Max(t, 1e-9)));

        using var pool = new RoundThreads(threads, kernel);
        // The parallel rate differs from one thread's (SMT siblings share FMA units, other load):
        // rescale from the untimed round so each timed round takes about roundSeconds.
        double warm = pool.Round(iters);
        iters = Math.Max(1, (long)(iters * roundSeconds / Math.Max(warm, 1e-9)));
        var times = new List<double>();
        for (int r = 0; r < TimedRounds; r++) times.Add(pool.Round(iters) * 1e3);
        times.Sort();
        var stats = new BenchStats(times[times.Count / 2], times[0], times[^1], times.Count);
        double lanes = width / 32;
        return new PeakResult(width, threads, stats, 2.0 * lanes * Chains * iters * threads);
    }

    static float _sink;
    static void Sink(float v) => Volatile.Write(ref _sink, v);

    /// <summary>Dedicated threads (not the pool, which grows slowly) released together per round.</summary>
    sealed class RoundThreads : IDisposable
    {
        readonly Barrier _start, _done;
        readonly Thread[] _threads;
        long _iters;
        bool _stop;

        public RoundThreads(int n, Func<long, float> kernel)
        {
            _start = new Barrier(n + 1);
            _done = new Barrier(n + 1);
            _threads = new Thread[n];
            for (int i = 0; i < n; i++)
            {
                _threads[i] = new Thread(() =>
                {
                    while (true)
                    {
                        _start.SignalAndWait();
                        if (Volatile.Read(ref _stop)) return;
                        Sink(kernel(Volatile.Read(ref _iters)));
                        _done.SignalAndWait();
                    }
                }) { IsBackground = true, Name = $"peak-{i}" };
                _threads[i].Start();
            }
        }

        /// <summary>Seconds from releasing all threads to the last one finishing `iters` iterations.</summary>
        public double Round(long iters)
        {
            Volatile.Write(ref _iters, iters);
            _start.SignalAndWait();
            var t0 = Stopwatch.GetTimestamp();
            _done.SignalAndWait();
            return Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }

        public void Dispose()
        {
            Volatile.Write(ref _stop, true);
            _start.SignalAndWait();
            foreach (var t in _threads) t.Join();
            _start.Dispose();
            _done.Dispose();
        }
    }

    // c = c * m + a converges to a / (1 - m) (about 1), so values stay normal: no denormal slowdowns.
    // Distinct start values keep the JIT from merging chains.

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static float Fma256(long iters)
    {
        var m = Vector256.Create(0.999f); var a = Vector256.Create(0.001f);
        Vector256<float> c0 = Vector256.Create(0.50f), c1 = Vector256.Create(0.51f), c2 = Vector256.Create(0.52f);
        Vector256<float> c3 = Vector256.Create(0.53f), c4 = Vector256.Create(0.54f), c5 = Vector256.Create(0.55f);
        Vector256<float> c6 = Vector256.Create(0.56f), c7 = Vector256.Create(0.57f), c8 = Vector256.Create(0.58f);
        Vector256<float> c9 = Vector256.Create(0.59f), c10 = Vector256.Create(0.60f), c11 = Vector256.Create(0.61f);
        for (long i = 0; i < iters; i++)
        {
            c0 = Fma.MultiplyAdd(c0, m, a); c1 = Fma.MultiplyAdd(c1, m, a); c2 = Fma.MultiplyAdd(c2, m, a);
            c3 = Fma.MultiplyAdd(c3, m, a); c4 = Fma.MultiplyAdd(c4, m, a); c5 = Fma.MultiplyAdd(c5, m, a);
            c6 = Fma.MultiplyAdd(c6, m, a); c7 = Fma.MultiplyAdd(c7, m, a); c8 = Fma.MultiplyAdd(c8, m, a);
            c9 = Fma.MultiplyAdd(c9, m, a); c10 = Fma.MultiplyAdd(c10, m, a); c11 = Fma.MultiplyAdd(c11, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static float Fma512(long iters)
    {
        var m = Vector512.Create(0.999f); var a = Vector512.Create(0.001f);
        Vector512<float> c0 = Vector512.Create(0.50f), c1 = Vector512.Create(0.51f), c2 = Vector512.Create(0.52f);
        Vector512<float> c3 = Vector512.Create(0.53f), c4 = Vector512.Create(0.54f), c5 = Vector512.Create(0.55f);
        Vector512<float> c6 = Vector512.Create(0.56f), c7 = Vector512.Create(0.57f), c8 = Vector512.Create(0.58f);
        Vector512<float> c9 = Vector512.Create(0.59f), c10 = Vector512.Create(0.60f), c11 = Vector512.Create(0.61f);
        for (long i = 0; i < iters; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, m, a); c1 = Avx512F.FusedMultiplyAdd(c1, m, a); c2 = Avx512F.FusedMultiplyAdd(c2, m, a);
            c3 = Avx512F.FusedMultiplyAdd(c3, m, a); c4 = Avx512F.FusedMultiplyAdd(c4, m, a); c5 = Avx512F.FusedMultiplyAdd(c5, m, a);
            c6 = Avx512F.FusedMultiplyAdd(c6, m, a); c7 = Avx512F.FusedMultiplyAdd(c7, m, a); c8 = Avx512F.FusedMultiplyAdd(c8, m, a);
            c9 = Avx512F.FusedMultiplyAdd(c9, m, a); c10 = Avx512F.FusedMultiplyAdd(c10, m, a); c11 = Avx512F.FusedMultiplyAdd(c11, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
