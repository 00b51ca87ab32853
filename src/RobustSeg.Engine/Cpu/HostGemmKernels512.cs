using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>AVX-512 micro-kernels of <see cref="HostGemm"/>: a packed A panel a[p*MR + r], B row p (32 floats) at b.Row(p).
/// c (MR rows, row stride ldc) = alpha * sum_p a b + beta c; beta == 0 does not read c. The JIT keeps all
/// accumulators in zmm registers (no spills; checked with DOTNET_JitDisasm) and both run at the FMA peak from L1.</summary>
internal static unsafe class HostGemmKernels512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TB>(int mr, int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        if (mr == 12) Avx512x12x32(kc, a, b, c, ldc, alpha, beta);
        else Avx512x8x32(kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>The tile's first 16 columns only (B rows still 32 apart): a last panel with at most 16 live columns
    /// (289 = 9 x 32 + 1 pixels of a 17x17 map) costs half a tile instead of a whole one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunHalf<TB>(int mr, int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        if (mr == 12) Avx512x12x16(kc, a, b, c, ldc, alpha, beta);
        else Avx512x8x16(kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>AVX-512F, a panel's first 16 columns only: 12 accumulators, 1 B load and 12 broadcasts per k step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx512x12x16<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int p = 0; p < kc; p++, a += 12)
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
            c8 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[8]), b0, c8);
            c9 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[9]), b0, c9);
            c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[10]), b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[11]), b0, c11);
        }
        var al = Vector512.Create(alpha);
        long ld = ldc;
        if (beta == 0f)
        {
            Avx512F.Store(c + 0 * ld, Avx512F.Multiply(c0, al));
            Avx512F.Store(c + 1 * ld, Avx512F.Multiply(c1, al));
            Avx512F.Store(c + 2 * ld, Avx512F.Multiply(c2, al));
            Avx512F.Store(c + 3 * ld, Avx512F.Multiply(c3, al));
            Avx512F.Store(c + 4 * ld, Avx512F.Multiply(c4, al));
            Avx512F.Store(c + 5 * ld, Avx512F.Multiply(c5, al));
            Avx512F.Store(c + 6 * ld, Avx512F.Multiply(c6, al));
            Avx512F.Store(c + 7 * ld, Avx512F.Multiply(c7, al));
            Avx512F.Store(c + 8 * ld, Avx512F.Multiply(c8, al));
            Avx512F.Store(c + 9 * ld, Avx512F.Multiply(c9, al));
            Avx512F.Store(c + 10 * ld, Avx512F.Multiply(c10, al));
            Avx512F.Store(c + 11 * ld, Avx512F.Multiply(c11, al));
        }
        else
        {
            var be = Vector512.Create(beta);
            Avx512F.Store(c + 0 * ld, Avx512F.FusedMultiplyAdd(c0, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 0 * ld), be)));
            Avx512F.Store(c + 1 * ld, Avx512F.FusedMultiplyAdd(c1, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 1 * ld), be)));
            Avx512F.Store(c + 2 * ld, Avx512F.FusedMultiplyAdd(c2, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 2 * ld), be)));
            Avx512F.Store(c + 3 * ld, Avx512F.FusedMultiplyAdd(c3, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 3 * ld), be)));
            Avx512F.Store(c + 4 * ld, Avx512F.FusedMultiplyAdd(c4, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 4 * ld), be)));
            Avx512F.Store(c + 5 * ld, Avx512F.FusedMultiplyAdd(c5, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 5 * ld), be)));
            Avx512F.Store(c + 6 * ld, Avx512F.FusedMultiplyAdd(c6, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 6 * ld), be)));
            Avx512F.Store(c + 7 * ld, Avx512F.FusedMultiplyAdd(c7, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 7 * ld), be)));
            Avx512F.Store(c + 8 * ld, Avx512F.FusedMultiplyAdd(c8, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 8 * ld), be)));
            Avx512F.Store(c + 9 * ld, Avx512F.FusedMultiplyAdd(c9, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 9 * ld), be)));
            Avx512F.Store(c + 10 * ld, Avx512F.FusedMultiplyAdd(c10, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 10 * ld), be)));
            Avx512F.Store(c + 11 * ld, Avx512F.FusedMultiplyAdd(c11, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 11 * ld), be)));
        }
    }

    /// <summary>AVX-512F, a panel's first 16 columns only: 8 accumulators, 1 B load and 8 broadcasts per k step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx512x8x16<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++, a += 8)
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
        }
        var al = Vector512.Create(alpha);
        long ld = ldc;
        if (beta == 0f)
        {
            Avx512F.Store(c + 0 * ld, Avx512F.Multiply(c0, al));
            Avx512F.Store(c + 1 * ld, Avx512F.Multiply(c1, al));
            Avx512F.Store(c + 2 * ld, Avx512F.Multiply(c2, al));
            Avx512F.Store(c + 3 * ld, Avx512F.Multiply(c3, al));
            Avx512F.Store(c + 4 * ld, Avx512F.Multiply(c4, al));
            Avx512F.Store(c + 5 * ld, Avx512F.Multiply(c5, al));
            Avx512F.Store(c + 6 * ld, Avx512F.Multiply(c6, al));
            Avx512F.Store(c + 7 * ld, Avx512F.Multiply(c7, al));
        }
        else
        {
            var be = Vector512.Create(beta);
            Avx512F.Store(c + 0 * ld, Avx512F.FusedMultiplyAdd(c0, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 0 * ld), be)));
            Avx512F.Store(c + 1 * ld, Avx512F.FusedMultiplyAdd(c1, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 1 * ld), be)));
            Avx512F.Store(c + 2 * ld, Avx512F.FusedMultiplyAdd(c2, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 2 * ld), be)));
            Avx512F.Store(c + 3 * ld, Avx512F.FusedMultiplyAdd(c3, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 3 * ld), be)));
            Avx512F.Store(c + 4 * ld, Avx512F.FusedMultiplyAdd(c4, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 4 * ld), be)));
            Avx512F.Store(c + 5 * ld, Avx512F.FusedMultiplyAdd(c5, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 5 * ld), be)));
            Avx512F.Store(c + 6 * ld, Avx512F.FusedMultiplyAdd(c6, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 6 * ld), be)));
            Avx512F.Store(c + 7 * ld, Avx512F.FusedMultiplyAdd(c7, al, Avx512F.Multiply(Avx512F.LoadVector512(c + 7 * ld), be)));
        }
    }

    /// <summary>AVX-512F: 16 accumulators, 2 B loads and 8 broadcasts per k step (16 FMAs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx512x8x32<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, a += 8)
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
        }
    }

    /// <summary>AVX-512F: 24 accumulators, 2 B loads and 12 broadcasts per k step (24 FMAs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx512x12x32<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
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
        for (int p = 0; p < kc; p++, a += 12)
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
            var a8 = Vector512.Create(a[8]);
            c80 = Avx512F.FusedMultiplyAdd(a8, b0, c80); c81 = Avx512F.FusedMultiplyAdd(a8, b1, c81);
            var a9 = Vector512.Create(a[9]);
            c90 = Avx512F.FusedMultiplyAdd(a9, b0, c90); c91 = Avx512F.FusedMultiplyAdd(a9, b1, c91);
            var a10 = Vector512.Create(a[10]);
            c100 = Avx512F.FusedMultiplyAdd(a10, b0, c100); c101 = Avx512F.FusedMultiplyAdd(a10, b1, c101);
            var a11 = Vector512.Create(a[11]);
            c110 = Avx512F.FusedMultiplyAdd(a11, b0, c110); c111 = Avx512F.FusedMultiplyAdd(a11, b1, c111);
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
            Store0(c + 8 * ld, c80, c81, al);
            Store0(c + 9 * ld, c90, c91, al);
            Store0(c + 10 * ld, c100, c101, al);
            Store0(c + 11 * ld, c110, c111, al);
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
            StoreB(c + 8 * ld, c80, c81, al, be);
            StoreB(c + 9 * ld, c90, c91, al, be);
            StoreB(c + 10 * ld, c100, c101, al, be);
            StoreB(c + 11 * ld, c110, c111, al, be);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store0(float* c, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha)
    {
        Avx512F.Store(c, Avx512F.Multiply(lo, alpha));
        Avx512F.Store(c + 16, Avx512F.Multiply(hi, alpha));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreB(float* c, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha, Vector512<float> beta)
    {
        Avx512F.Store(c, Avx512F.FusedMultiplyAdd(lo, alpha, Avx512F.Multiply(Avx512F.LoadVector512(c), beta)));
        Avx512F.Store(c + 16, Avx512F.FusedMultiplyAdd(hi, alpha, Avx512F.Multiply(Avx512F.LoadVector512(c + 16), beta)));
    }
}
