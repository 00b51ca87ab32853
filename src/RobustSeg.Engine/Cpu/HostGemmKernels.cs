using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>6x16 micro-kernels of <see cref="HostGemm"/>: a packed A panel a[p*6 + r], B row p (16 floats) at b.Row(p).
/// c (6 rows, row stride ldc) = alpha * sum_p a b + beta c; beta == 0 does not read c.</summary>
internal static unsafe class HostGemmKernels
{
    /// <summary>AVX2 + FMA: 12 accumulators, 2 B loads and 6 broadcasts per k step (12 FMAs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fma6x16<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // One k step per iteration: unrolled by two, the JIT's loop had two row-address multiplies and a split exit test
        // per pair, and the kernel alone ran at 0.85 of this loop's pace with its panels in L1 and L2 (Ice Lake, where 12
        // FMAs take 6 cycles and the loop's uops set the pace; whole GEMMs there are bound elsewhere and did not move).
        for (int p = 0; p < kc; p++, a += 6)
        {
            float* bp = b.Row(p);
            var b0 = Avx.LoadVector256(bp);
            var b1 = Avx.LoadVector256(bp + 8);
            var av = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
        }
        var al = Vector256.Create(alpha);
        long ld = ldc;
        if (beta == 0f)
        {
            Store0(c, c00, c01, al); Store0(c + ld, c10, c11, al); Store0(c + 2 * ld, c20, c21, al);
            Store0(c + 3 * ld, c30, c31, al); Store0(c + 4 * ld, c40, c41, al); Store0(c + 5 * ld, c50, c51, al);
        }
        else
        {
            var be = Vector256.Create(beta);
            StoreB(c, c00, c01, al, be); StoreB(c + ld, c10, c11, al, be); StoreB(c + 2 * ld, c20, c21, al, be);
            StoreB(c + 3 * ld, c30, c31, al, be); StoreB(c + 4 * ld, c40, c41, al, be); StoreB(c + 5 * ld, c50, c51, al, be);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store0(float* c, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha)
    {
        Avx.Store(c, Avx.Multiply(lo, alpha));
        Avx.Store(c + 8, Avx.Multiply(hi, alpha));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreB(float* c, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha, Vector256<float> beta)
    {
        Avx.Store(c, Fma.MultiplyAdd(lo, alpha, Avx.Multiply(Avx.LoadVector256(c), beta)));
        Avx.Store(c + 8, Fma.MultiplyAdd(hi, alpha, Avx.Multiply(Avx.LoadVector256(c + 8), beta)));
    }

    /// <summary>Any SIMD width (Vector&lt;float&gt;.Count divides 16): used when FMA is absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Portable6x16<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        int w = Vector<float>.Count;
        var acc = stackalloc Vector<float>[6 * 16 / Math.Min(w, 16)];
        int per = 16 / Math.Min(w, 16);
        for (int i = 0; i < 6 * per; i++) acc[i] = Vector<float>.Zero;
        if (w > 16)
        {
            // Wider than a panel row: plain scalar loop (no such hardware today).
            ScalarTile(kc, a, b, c, ldc, alpha, beta);
            return;
        }
        for (int p = 0; p < kc; p++, a += 6)
        {
            float* bp = b.Row(p);
            for (int r = 0; r < 6; r++)
            {
                var av = new Vector<float>(a[r]);
                for (int v = 0; v < per; v++)
                    acc[r * per + v] += av * Unsafe.ReadUnaligned<Vector<float>>(bp + v * w);
            }
        }
        for (int r = 0; r < 6; r++)
        {
            float* cr = c + (long)r * ldc;
            for (int v = 0; v < per; v++)
            {
                var res = acc[r * per + v] * alpha;
                if (beta != 0f) res += Unsafe.ReadUnaligned<Vector<float>>(cr + v * w) * beta;
                Unsafe.WriteUnaligned(cr + v * w, res);
            }
        }
    }

    static void ScalarTile<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta) where TB : struct, IBRows
    {
        for (int r = 0; r < 6; r++)
        for (int q = 0; q < 16; q++)
        {
            float s = 0f;
            for (int p = 0; p < kc; p++) s += a[p * 6 + r] * b.Row(p)[q];
            float* cp = c + (long)r * ldc + q;
            *cp = beta == 0f ? alpha * s : alpha * s + beta * *cp;
        }
    }
}
