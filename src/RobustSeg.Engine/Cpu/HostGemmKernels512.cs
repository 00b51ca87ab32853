using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>AVX-512 micro-kernels of <see cref="HostGemm"/>: a packed A panel a[p*MR + r], B row p (32 floats) at b.Row(p).
/// c (MR rows, row stride ldc) = alpha * sum_p a b + beta c; beta == 0 does not read c. One source, generic over the
/// tile's rows and columns (<see cref="ITileCount"/>): each instantiation compiles to a written-out kernel that keeps
/// all accumulators in zmm registers (no spills, nothing for rows or columns the shape lacks; checked with
/// DOTNET_JitDisasm), and the 32-column ones run at the FMA peak from L1.</summary>
internal static unsafe class HostGemmKernels512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TB>(int mr, int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        if (mr == 12) Avx512Tile<N12, N32, TB>(kc, a, b, c, ldc, alpha, beta);
        else Avx512Tile<N8, N32, TB>(kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>The tile's first 16 columns only (B rows still 32 apart): a last panel with at most 16 live columns
    /// (289 = 9 x 32 + 1 pixels of a 17x17 map) costs half a tile instead of a whole one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunHalf<TB>(int mr, int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        if (mr == 12) Avx512Tile<N12, N16, TB>(kc, a, b, c, ldc, alpha, beta);
        else Avx512Tile<N8, N16, TB>(kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>A tile's rows or columns as a type, so one kernel source compiles to a written-out kernel per shape (the
    /// JIT folds Count and drops the unused accumulators and loads).</summary>
    internal interface ITileCount { static abstract int Count { get; } }
    internal struct N1 : ITileCount { public static int Count => 1; }
    internal struct N2 : ITileCount { public static int Count => 2; }
    internal struct N3 : ITileCount { public static int Count => 3; }
    internal struct N4 : ITileCount { public static int Count => 4; }
    internal struct N5 : ITileCount { public static int Count => 5; }
    internal struct N6 : ITileCount { public static int Count => 6; }
    internal struct N7 : ITileCount { public static int Count => 7; }
    internal struct N8 : ITileCount { public static int Count => 8; }
    internal struct N9 : ITileCount { public static int Count => 9; }
    internal struct N10 : ITileCount { public static int Count => 10; }
    internal struct N11 : ITileCount { public static int Count => 11; }
    internal struct N12 : ITileCount { public static int Count => 12; }
    internal struct N13 : ITileCount { public static int Count => 13; }
    internal struct N14 : ITileCount { public static int Count => 14; }
    internal struct N16 : ITileCount { public static int Count => 16; }
    internal struct N32 : ITileCount { public static int Count => 32; }
    internal struct N64 : ITileCount { public static int Count => 64; }

    /// <summary>AVX-512F, a TR.Count x TC.Count tile: TC.Count / 16 B loads, TR.Count broadcasts and
    /// TR.Count TC.Count / 16 FMAs per k step (12x32: 24 accumulators, 24 FMAs per 14 loads).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx512Tile<TR, TC, TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta)
        where TR : struct, ITileCount where TC : struct, ITileCount where TB : struct, IBRows
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
            var b1 = TC.Count == 32 ? Avx512F.LoadVector512(bp + 16) : default;
            var a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00);
            if (TC.Count == 32) c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10);
            if (TC.Count == 32) c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20);
            if (TC.Count == 32) c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30);
            if (TC.Count == 32) c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40);
            if (TC.Count == 32) c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50);
            if (TC.Count == 32) c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60);
            if (TC.Count == 32) c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70);
            if (TC.Count == 32) c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71);
            if (TR.Count == 12)
            {
                var a8 = Vector512.Create(a[8]);
                c80 = Avx512F.FusedMultiplyAdd(a8, b0, c80);
                if (TC.Count == 32) c81 = Avx512F.FusedMultiplyAdd(a8, b1, c81);
                var a9 = Vector512.Create(a[9]);
                c90 = Avx512F.FusedMultiplyAdd(a9, b0, c90);
                if (TC.Count == 32) c91 = Avx512F.FusedMultiplyAdd(a9, b1, c91);
                var a10 = Vector512.Create(a[10]);
                c100 = Avx512F.FusedMultiplyAdd(a10, b0, c100);
                if (TC.Count == 32) c101 = Avx512F.FusedMultiplyAdd(a10, b1, c101);
                var a11 = Vector512.Create(a[11]);
                c110 = Avx512F.FusedMultiplyAdd(a11, b0, c110);
                if (TC.Count == 32) c111 = Avx512F.FusedMultiplyAdd(a11, b1, c111);
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

        // 16 or 32 floats of a row of c = alpha v + (beta c); the second half only for 32-column tiles.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store0(float* cr, Vector512<float> lo, Vector512<float> hi, Vector512<float> al)
        {
            Avx512F.Store(cr, Avx512F.Multiply(lo, al));
            if (TC.Count == 32) Avx512F.Store(cr + 16, Avx512F.Multiply(hi, al));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void StoreB(float* cr, Vector512<float> lo, Vector512<float> hi, Vector512<float> al, Vector512<float> be)
        {
            Avx512F.Store(cr, Avx512F.FusedMultiplyAdd(lo, al, Avx512F.Multiply(Avx512F.LoadVector512(cr), be)));
            if (TC.Count == 32)
                Avx512F.Store(cr + 16, Avx512F.FusedMultiplyAdd(hi, al, Avx512F.Multiply(Avx512F.LoadVector512(cr + 16), be)));
        }
    }
}
