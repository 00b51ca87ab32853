using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>AVX-512 micro-kernels of <see cref="HostGemm"/>: a packed A panel a[p*MR + r], B row p (32 floats) at b.Row(p).
/// c (MR rows, row stride ldc) = alpha * sum_p a b + beta c; beta == 0 does not read c. One source per tile width,
/// generic over the row count (<see cref="ITileRows"/>): each instantiation compiles to a written-out kernel that keeps
/// all accumulators in zmm registers (no spills, no rows 8-11 for 8-row panels; checked with DOTNET_JitDisasm), and the
/// 32-column ones run at the FMA peak from L1.</summary>
internal static unsafe class HostGemmKernels512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TB>(int mr, int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        if (mr == 12) Avx512Full<Rows12, TB>(kc, a, b, c, ldc, alpha, beta);
        else Avx512Full<Rows8, TB>(kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>The tile's first 16 columns only (B rows still 32 apart): a last panel with at most 16 live columns
    /// (289 = 9 x 32 + 1 pixels of a 17x17 map) costs half a tile instead of a whole one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunHalf<TB>(int mr, int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        if (mr == 12) Avx512Half<Rows12, TB>(kc, a, b, c, ldc, alpha, beta);
        else Avx512Half<Rows8, TB>(kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>Rows of an A panel as a type, so one kernel source compiles to a written-out kernel per row count (the JIT
    /// folds TR.Count and drops the unused accumulators).</summary>
    internal interface ITileRows { static abstract int Count { get; } }
    internal struct Rows8 : ITileRows { public static int Count => 8; }
    internal struct Rows12 : ITileRows { public static int Count => 12; }

    /// <summary>AVX-512F, a panel's first 16 columns only: TR.Count accumulators, 1 B load and TR.Count broadcasts per k step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx512Half<TR, TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta)
        where TR : struct, ITileRows where TB : struct, IBRows
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default;
        for (int p = 0; p < kc; p++, a += TR.Count)
        {
            var b0 = Avx512F.LoadVector512(b.Row(p));
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            if (TR.Count == 12)
            {
                c8 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[8]), b0, c8);
                c9 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[9]), b0, c9);
                c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[10]), b0, c10);
                c11 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[11]), b0, c11);
            }
        }
        var al = Vector512.Create(alpha);
        long ld = ldc;
        if (beta == 0f)
        {
            Store0(c + 0 * ld, c0, al);
            Store0(c + 1 * ld, c1, al);
            Store0(c + 2 * ld, c2, al);
            Store0(c + 3 * ld, c3, al);
            Store0(c + 4 * ld, c4, al);
            Store0(c + 5 * ld, c5, al);
            Store0(c + 6 * ld, c6, al);
            Store0(c + 7 * ld, c7, al);
            if (TR.Count == 12)
            {
                Store0(c + 8 * ld, c8, al);
                Store0(c + 9 * ld, c9, al);
                Store0(c + 10 * ld, c10, al);
                Store0(c + 11 * ld, c11, al);
            }
        }
        else
        {
            var be = Vector512.Create(beta);
            StoreB(c + 0 * ld, c0, al, be);
            StoreB(c + 1 * ld, c1, al, be);
            StoreB(c + 2 * ld, c2, al, be);
            StoreB(c + 3 * ld, c3, al, be);
            StoreB(c + 4 * ld, c4, al, be);
            StoreB(c + 5 * ld, c5, al, be);
            StoreB(c + 6 * ld, c6, al, be);
            StoreB(c + 7 * ld, c7, al, be);
            if (TR.Count == 12)
            {
                StoreB(c + 8 * ld, c8, al, be);
                StoreB(c + 9 * ld, c9, al, be);
                StoreB(c + 10 * ld, c10, al, be);
                StoreB(c + 11 * ld, c11, al, be);
            }
        }
    }

    /// <summary>AVX-512F, 32 columns: 2 TR.Count accumulators (24 for 12 rows), 2 B loads and TR.Count broadcasts per k
    /// step (2 TR.Count FMAs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx512Full<TR, TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta)
        where TR : struct, ITileRows where TB : struct, IBRows
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        for (int p = 0; p < kc; p++, a += TR.Count)
        {
            float* bp = b.Row(p);
            var b0 = Avx512F.LoadVector512(bp);
            var b1 = Avx512F.LoadVector512(bp + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71);
            if (TR.Count == 12)
            {
                var a8 = Vector512.Create(a[8]);
                c80 = Avx512F.FusedMultiplyAdd(a8, b0, c80); c81 = Avx512F.FusedMultiplyAdd(a8, b1, c81);
                var a9 = Vector512.Create(a[9]);
                c90 = Avx512F.FusedMultiplyAdd(a9, b0, c90); c91 = Avx512F.FusedMultiplyAdd(a9, b1, c91);
                var a10 = Vector512.Create(a[10]);
                c100 = Avx512F.FusedMultiplyAdd(a10, b0, c100); c101 = Avx512F.FusedMultiplyAdd(a10, b1, c101);
                var a11 = Vector512.Create(a[11]);
                c110 = Avx512F.FusedMultiplyAdd(a11, b0, c110); c111 = Avx512F.FusedMultiplyAdd(a11, b1, c111);
            }
        }
        var al = Vector512.Create(alpha);
        long ld = ldc;
        if (beta == 0f)
        {
            Store0(c + 0 * ld, c00, c01, al);
            Store0(c + 1 * ld, c10, c11, al);
            Store0(c + 2 * ld, c20, c21, al);
            Store0(c + 3 * ld, c30, c31, al);
            Store0(c + 4 * ld, c40, c41, al);
            Store0(c + 5 * ld, c50, c51, al);
            Store0(c + 6 * ld, c60, c61, al);
            Store0(c + 7 * ld, c70, c71, al);
            if (TR.Count == 12)
            {
                Store0(c + 8 * ld, c80, c81, al);
                Store0(c + 9 * ld, c90, c91, al);
                Store0(c + 10 * ld, c100, c101, al);
                Store0(c + 11 * ld, c110, c111, al);
            }
        }
        else
        {
            var be = Vector512.Create(beta);
            StoreB(c + 0 * ld, c00, c01, al, be);
            StoreB(c + 1 * ld, c10, c11, al, be);
            StoreB(c + 2 * ld, c20, c21, al, be);
            StoreB(c + 3 * ld, c30, c31, al, be);
            StoreB(c + 4 * ld, c40, c41, al, be);
            StoreB(c + 5 * ld, c50, c51, al, be);
            StoreB(c + 6 * ld, c60, c61, al, be);
            StoreB(c + 7 * ld, c70, c71, al, be);
            if (TR.Count == 12)
            {
                StoreB(c + 8 * ld, c80, c81, al, be);
                StoreB(c + 9 * ld, c90, c91, al, be);
                StoreB(c + 10 * ld, c100, c101, al, be);
                StoreB(c + 11 * ld, c110, c111, al, be);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store0(float* c, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha)
    {
        Store0(c, lo, alpha);
        Store0(c + 16, hi, alpha);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreB(float* c, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha, Vector512<float> beta)
    {
        StoreB(c, lo, alpha, beta);
        StoreB(c + 16, hi, alpha, beta);
    }

    /// <summary>16 floats of c = alpha v (c not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store0(float* c, Vector512<float> v, Vector512<float> alpha) => Avx512F.Store(c, Avx512F.Multiply(v, alpha));

    /// <summary>16 floats of c = alpha v + beta c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreB(float* c, Vector512<float> v, Vector512<float> alpha, Vector512<float> beta) =>
        Avx512F.Store(c, Avx512F.FusedMultiplyAdd(v, alpha, Avx512F.Multiply(Avx512F.LoadVector512(c), beta)));
}
