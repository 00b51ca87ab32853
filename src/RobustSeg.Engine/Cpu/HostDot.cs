using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>One image's part of a small weight gradient over gathered columns, as dot products:
/// c[r][q] = alpha sum_p a[r][p] col[q][p] (a: m rows of k, row stride lda; col: the image's im2col rows). Both operands
/// run along the pixels as they lie, so neither is transposed into GEMM panels: the first conv's 32 x 27 over 4225
/// pixels spent more time packing (dy into A panels, the gathered rows into B panels) than multiplying. The rows are
/// gathered a chunk of pixels at a time into a scratch that stays in cache while every block of a rows passes over it;
/// each (r, q) keeps a vector of per-lane sums across chunks, added across its lanes at the end. Fixed order, so one
/// image gives the same bits on any thread.</summary>
internal static unsafe class HostDot
{
    /// <summary>Most pixels gathered per chunk: 27 rows of 512 floats (54 KB) stay in L1/L2 while the a rows stream.</summary>
    const int MaxChunk = 512;

    /// <summary>Most floats of gathered rows per chunk (256 KB), so a dW of many taps (up to 4096 for one output channel)
    /// gathers fewer pixels at a time instead of holding megabytes of per-thread scratch.</summary>
    const int MaxRowFloats = 1 << 16;

    /// <summary>Whether path has a dot kernel (the portable one keeps the GEMM).</summary>
    public static bool Runs(HostSimdPath p) => p is HostSimdPath.Avx512 or HostSimdPath.Avx2;

    [ThreadStatic] static float[]? _acc, _rows, _aTail;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SumImage(HostSimdPath path, int m, int n, int k, float alpha, float* a, int lda, in ImplicitCols cols, float* c)
    {
        // Tile of a rows x col rows per kernel call: AVX-512 3 x 9 (27 accumulators, 12 loads per 27 FMAs), AVX2 2 x 6
        // (12 accumulators and 3 operands in 16 registers).
        bool wide = path == HostSimdPath.Avx512;
        int mr = wide ? 3 : 2, nr = wide ? 9 : 6, lanes = wide ? 16 : 8;
        int mPad = (m + mr - 1) / mr * mr, nPad = (n + nr - 1) / nr * nr;
        int accRow = nPad * lanes;
        float* acc = HostGemm.Scratch(ref _acc, mPad * accRow);
        int chunk = Math.Clamp(MaxRowFloats / nPad / 16 * 16, 16, MaxChunk);   // a multiple of both paths' lanes
        float* rows = HostGemm.Scratch(ref _rows, nPad * chunk);
        float* aTail = HostGemm.Scratch(ref _aTail, mPad * lanes);
        new Span<float>(acc, mPad * accRow).Clear();
        new Span<float>(rows + (long)n * chunk, (nPad - n) * chunk).Clear();   // the padded rows add zeros
        for (int k0 = 0; k0 < k; k0 += chunk)
        {
            int kb = Math.Min(chunk, k - k0), full = kb / lanes * lanes, tail = kb - full;
            for (int q = 0; q < n; q++) cols.Row(q, k0, kb, rows + (long)q * chunk, 1);
            if (tail > 0)
            {
                // The last partial vector: the gathered rows padded with zeros to a whole vector, a's tails copied so.
                for (int q = 0; q < n; q++) new Span<float>(rows + (long)q * chunk + kb, lanes - tail).Clear();
                new Span<float>(aTail, mPad * lanes).Clear();
                for (int r = 0; r < m; r++) new Span<float>(a + (long)r * lda + k0 + full, tail).CopyTo(new Span<float>(aTail + r * lanes, tail));
            }
            for (int r0 = 0; r0 < mPad; r0 += mr)
            for (int q0 = 0; q0 < nPad; q0 += nr)
            {
                float* at = acc + (long)r0 * accRow + q0 * lanes;
                float* bt = rows + (long)q0 * chunk;
                // Rows past m read row m - 1 again into accumulators nobody reads.
                float* a0 = a + (long)r0 * lda + k0, a1 = a + (long)Math.Min(r0 + 1, m - 1) * lda + k0;
                if (wide)
                {
                    float* a2 = a + (long)Math.Min(r0 + 2, m - 1) * lda + k0;
                    Tile512(a0, a1, a2, bt, chunk, full / lanes, at, accRow);
                    if (tail > 0) Tile512(aTail + r0 * lanes, aTail + (r0 + 1) * lanes, aTail + (r0 + 2) * lanes, bt + full, chunk, 1, at, accRow);
                }
                else
                {
                    Tile256(a0, a1, bt, chunk, full / lanes, at, accRow);
                    if (tail > 0) Tile256(aTail + r0 * lanes, aTail + (r0 + 1) * lanes, bt + full, chunk, 1, at, accRow);
                }
            }
        }
        for (int r = 0; r < m; r++)
        for (int q = 0; q < n; q++)
        {
            float* v = acc + (long)r * accRow + q * lanes;
            c[r * n + q] = alpha * (wide ? Vector512.Sum(Vector512.Load(v)) : Vector256.Sum(Vector256.Load(v)));
        }
    }

    /// <summary>acc[i][j] (16 lanes at acc + i accRow + 16 j) += a_i[16 s..] * b_j[16 s..] over steps s, i &lt; 3, j &lt; 9,
    /// b_j = b + j ldb.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile512(float* a0, float* a1, float* a2, float* b, long ldb, int steps, float* acc, int accRow)
    {
        float* r1 = acc + accRow, r2 = acc + 2 * accRow;
        var c00 = Vector512.Load(acc); var c01 = Vector512.Load(acc + 16); var c02 = Vector512.Load(acc + 32);
        var c03 = Vector512.Load(acc + 48); var c04 = Vector512.Load(acc + 64); var c05 = Vector512.Load(acc + 80);
        var c06 = Vector512.Load(acc + 96); var c07 = Vector512.Load(acc + 112); var c08 = Vector512.Load(acc + 128);
        var c10 = Vector512.Load(r1); var c11 = Vector512.Load(r1 + 16); var c12 = Vector512.Load(r1 + 32);
        var c13 = Vector512.Load(r1 + 48); var c14 = Vector512.Load(r1 + 64); var c15 = Vector512.Load(r1 + 80);
        var c16 = Vector512.Load(r1 + 96); var c17 = Vector512.Load(r1 + 112); var c18 = Vector512.Load(r1 + 128);
        var c20 = Vector512.Load(r2); var c21 = Vector512.Load(r2 + 16); var c22 = Vector512.Load(r2 + 32);
        var c23 = Vector512.Load(r2 + 48); var c24 = Vector512.Load(r2 + 64); var c25 = Vector512.Load(r2 + 80);
        var c26 = Vector512.Load(r2 + 96); var c27 = Vector512.Load(r2 + 112); var c28 = Vector512.Load(r2 + 128);
        for (long p = 0, end = 16L * steps; p < end; p += 16)
        {
            var x0 = Vector512.Load(a0 + p); var x1 = Vector512.Load(a1 + p); var x2 = Vector512.Load(a2 + p);
            float* bp = b + p;
            var y = Vector512.Load(bp);
            c00 = Avx512F.FusedMultiplyAdd(x0, y, c00); c10 = Avx512F.FusedMultiplyAdd(x1, y, c10); c20 = Avx512F.FusedMultiplyAdd(x2, y, c20);
            y = Vector512.Load(bp + ldb);
            c01 = Avx512F.FusedMultiplyAdd(x0, y, c01); c11 = Avx512F.FusedMultiplyAdd(x1, y, c11); c21 = Avx512F.FusedMultiplyAdd(x2, y, c21);
            y = Vector512.Load(bp + 2 * ldb);
            c02 = Avx512F.FusedMultiplyAdd(x0, y, c02); c12 = Avx512F.FusedMultiplyAdd(x1, y, c12); c22 = Avx512F.FusedMultiplyAdd(x2, y, c22);
            y = Vector512.Load(bp + 3 * ldb);
            c03 = Avx512F.FusedMultiplyAdd(x0, y, c03); c13 = Avx512F.FusedMultiplyAdd(x1, y, c13); c23 = Avx512F.FusedMultiplyAdd(x2, y, c23);
            y = Vector512.Load(bp + 4 * ldb);
            c04 = Avx512F.FusedMultiplyAdd(x0, y, c04); c14 = Avx512F.FusedMultiplyAdd(x1, y, c14); c24 = Avx512F.FusedMultiplyAdd(x2, y, c24);
            y = Vector512.Load(bp + 5 * ldb);
            c05 = Avx512F.FusedMultiplyAdd(x0, y, c05); c15 = Avx512F.FusedMultiplyAdd(x1, y, c15); c25 = Avx512F.FusedMultiplyAdd(x2, y, c25);
            y = Vector512.Load(bp + 6 * ldb);
            c06 = Avx512F.FusedMultiplyAdd(x0, y, c06); c16 = Avx512F.FusedMultiplyAdd(x1, y, c16); c26 = Avx512F.FusedMultiplyAdd(x2, y, c26);
            y = Vector512.Load(bp + 7 * ldb);
            c07 = Avx512F.FusedMultiplyAdd(x0, y, c07); c17 = Avx512F.FusedMultiplyAdd(x1, y, c17); c27 = Avx512F.FusedMultiplyAdd(x2, y, c27);
            y = Vector512.Load(bp + 8 * ldb);
            c08 = Avx512F.FusedMultiplyAdd(x0, y, c08); c18 = Avx512F.FusedMultiplyAdd(x1, y, c18); c28 = Avx512F.FusedMultiplyAdd(x2, y, c28);
        }
        c00.Store(acc); c01.Store(acc + 16); c02.Store(acc + 32); c03.Store(acc + 48); c04.Store(acc + 64);
        c05.Store(acc + 80); c06.Store(acc + 96); c07.Store(acc + 112); c08.Store(acc + 128);
        c10.Store(r1); c11.Store(r1 + 16); c12.Store(r1 + 32); c13.Store(r1 + 48); c14.Store(r1 + 64);
        c15.Store(r1 + 80); c16.Store(r1 + 96); c17.Store(r1 + 112); c18.Store(r1 + 128);
        c20.Store(r2); c21.Store(r2 + 16); c22.Store(r2 + 32); c23.Store(r2 + 48); c24.Store(r2 + 64);
        c25.Store(r2 + 80); c26.Store(r2 + 96); c27.Store(r2 + 112); c28.Store(r2 + 128);
    }

    /// <summary>The same on AVX2: 8 lanes, i &lt; 2, j &lt; 6.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile256(float* a0, float* a1, float* b, long ldb, int steps, float* acc, int accRow)
    {
        float* r1 = acc + accRow;
        var c00 = Vector256.Load(acc); var c01 = Vector256.Load(acc + 8); var c02 = Vector256.Load(acc + 16);
        var c03 = Vector256.Load(acc + 24); var c04 = Vector256.Load(acc + 32); var c05 = Vector256.Load(acc + 40);
        var c10 = Vector256.Load(r1); var c11 = Vector256.Load(r1 + 8); var c12 = Vector256.Load(r1 + 16);
        var c13 = Vector256.Load(r1 + 24); var c14 = Vector256.Load(r1 + 32); var c15 = Vector256.Load(r1 + 40);
        for (long p = 0, end = 8L * steps; p < end; p += 8)
        {
            var x0 = Vector256.Load(a0 + p); var x1 = Vector256.Load(a1 + p);
            float* bp = b + p;
            var y = Vector256.Load(bp);
            c00 = Fma.MultiplyAdd(x0, y, c00); c10 = Fma.MultiplyAdd(x1, y, c10);
            y = Vector256.Load(bp + ldb);
            c01 = Fma.MultiplyAdd(x0, y, c01); c11 = Fma.MultiplyAdd(x1, y, c11);
            y = Vector256.Load(bp + 2 * ldb);
            c02 = Fma.MultiplyAdd(x0, y, c02); c12 = Fma.MultiplyAdd(x1, y, c12);
            y = Vector256.Load(bp + 3 * ldb);
            c03 = Fma.MultiplyAdd(x0, y, c03); c13 = Fma.MultiplyAdd(x1, y, c13);
            y = Vector256.Load(bp + 4 * ldb);
            c04 = Fma.MultiplyAdd(x0, y, c04); c14 = Fma.MultiplyAdd(x1, y, c14);
            y = Vector256.Load(bp + 5 * ldb);
            c05 = Fma.MultiplyAdd(x0, y, c05); c15 = Fma.MultiplyAdd(x1, y, c15);
        }
        c00.Store(acc); c01.Store(acc + 8); c02.Store(acc + 16); c03.Store(acc + 24); c04.Store(acc + 32); c05.Store(acc + 40);
        c10.Store(r1); c11.Store(r1 + 8); c12.Store(r1 + 16); c13.Store(r1 + 24); c14.Store(r1 + 32); c15.Store(r1 + 40);
    }
}
