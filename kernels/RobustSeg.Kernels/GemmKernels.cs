using ILGPU;

namespace RobustSeg.Kernels;

/// <summary>Row-major batched GEMM arguments (element offsets and strides). op(A): M×K, op(B): K×N.
/// C = Alpha op(A) op(B) + Beta C; Beta == 0 never reads C. Total/Chunk/ColsPerItem: strip kernel only.</summary>
public struct GemmArgs
{
    public ArrayView<float> A, B, C;
    public int M, N, K, Lda, Ldb, Ldc, TransA, TransB, Batch;
    public long OffA, OffB, OffC, StrideA, StrideB, StrideC;
    public float Alpha, Beta;
    public int Total, Chunk, ColsPerItem;
}

public static class GemmKernels
{
    /// <summary>K depth of one shared-memory stage.</summary>
    public const int TileK = 16;
    /// <summary>Largest group the tiled kernel accepts per axis (16x16 threads -> a 64x64 C tile).</summary>
    public const int MaxGroupDim = 16;
    /// <summary>Outputs per thread per axis (4x4 accumulators in registers).</summary>
    public const int Reg = 4;
    const int MaxTile = MaxGroupDim * Reg;
    /// <summary>Shared rows are one word longer than the tile: the transposing stores (16 consecutive k
    /// per row of the stored matrix) then hit different banks instead of one.</summary>
    const int Pad = 1;

    /// <summary>Shared-memory tiled GEMM, explicit groups. Grid (N tiles, M tiles, batch), group
    /// (gx, gy) with gx, gy &lt;= 16: the C tile is (4 gy) x (4 gx) and thread (tx, ty) owns rows
    /// ty + gy*i, cols tx + gx*j (i, j &lt; 4): neighbouring threads read neighbouring shared words and
    /// write neighbouring C columns. Tile loads loop over the group's actual size, so the same code
    /// runs with 16x16 groups on CUDA and a 1x1 group (one 4x4 tile per group) on the CPU accelerator.</summary>
    public static void Tiled(GemmArgs g)
    {
        var sa = SharedMemory.Allocate<float>(TileK * (MaxTile + Pad));
        var sb = SharedMemory.Allocate<float>(TileK * (MaxTile + Pad));
        int tx = Group.IdxX, ty = Group.IdxY, gx = Group.DimX, gy = Group.DimY;
        int tileN = gx * Reg, tileM = gy * Reg, ldsA = tileM + Pad, ldsB = tileN + Pad;
        int col0 = Grid.IdxX * tileN, row0 = Grid.IdxY * tileM, bi = Grid.IdxZ;
        int tid = ty * gx + tx, threads = gx * gy;
        long aBase = g.OffA + bi * g.StrideA, bBase = g.OffB + bi * g.StrideB, cBase = g.OffC + bi * g.StrideC;
        long rsA = g.TransA != 0 ? 1 : g.Lda, csA = g.TransA != 0 ? g.Lda : 1;
        long rsB = g.TransB != 0 ? 1 : g.Ldb, csB = g.TransB != 0 ? g.Ldb : 1;

        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f, c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        int aCount = tileM * TileK, bCount = tileN * TileK;
        for (int k0 = 0; k0 < g.K; k0 += TileK)
        {
            // Stage op(A)[row0.., k0..] into sa[kk*ldsA + r]; consecutive threads read consecutive
            // addresses of the stored matrix (coalesced) for either transpose.
            for (int e = tid; e < aCount; e += threads)
            {
                int r, kk;
                if (g.TransA != 0) { r = e % tileM; kk = e / tileM; }
                else { kk = e % TileK; r = e / TileK; }
                int row = row0 + r, kg = k0 + kk;
                float v = 0f;
                if (row < g.M && kg < g.K)
                    v = g.A[aBase + row * rsA + kg * csA];
                sa[kk * ldsA + r] = v;
            }
            for (int e = tid; e < bCount; e += threads)
            {
                int q, kk;
                if (g.TransB != 0) { kk = e % TileK; q = e / TileK; }
                else { q = e % tileN; kk = e / tileN; }
                int col = col0 + q, kg = k0 + kk;
                float v = 0f;
                if (col < g.N && kg < g.K)
                    v = g.B[bBase + kg * rsB + col * csB];
                sb[kk * ldsB + q] = v;
            }
            Group.Barrier();
            for (int kk = 0; kk < TileK; kk++)
            {
                int ao = kk * ldsA + ty, bo = kk * ldsB + tx;
                float a0 = sa[ao], a1 = sa[ao + gy], a2 = sa[ao + 2 * gy], a3 = sa[ao + 3 * gy];
                float b0 = sb[bo], b1 = sb[bo + gx], b2 = sb[bo + 2 * gx], b3 = sb[bo + 3 * gx];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        int r0 = row0 + ty, q0 = col0 + tx;
        StoreRow(g, cBase, r0, q0, gx, c00, c01, c02, c03);
        StoreRow(g, cBase, r0 + gy, q0, gx, c10, c11, c12, c13);
        StoreRow(g, cBase, r0 + 2 * gy, q0, gx, c20, c21, c22, c23);
        StoreRow(g, cBase, r0 + 3 * gy, q0, gx, c30, c31, c32, c33);
    }

    static void StoreRow(GemmArgs g, long cBase, int row, int col, int step, float v0, float v1, float v2, float v3)
    {
        if (row >= g.M) return;
        long o = cBase + (long)row * g.Ldc;
        Store(g, o, col, v0);
        Store(g, o, col + step, v1);
        Store(g, o, col + 2 * step, v2);
        Store(g, o, col + 3 * step, v3);
    }

    static void Store(GemmArgs g, long rowOffset, int col, float v)
    {
        if (col >= g.N) return;
        long i = rowOffset + col;
        g.C[i] = g.Beta == 0f ? g.Alpha * v : g.Alpha * v + g.Beta * g.C[i];
    }

    /// <summary>Strip kernel for the CPU accelerator (no shared memory, no barriers): an item is 4
    /// rows x ColsPerItem columns of one batch entry, computed as 4x4 register tiles straight from
    /// global memory; index i handles items [i*Chunk, min((i+1)*Chunk, Total)).</summary>
    public static void Strip(Index1D i, GemmArgs g)
    {
        int s = i * g.Chunk, e = s + g.Chunk < g.Total ? s + g.Chunk : g.Total;
        int rowBlocks = (g.M + 3) / 4, colBlocks = (g.N + g.ColsPerItem - 1) / g.ColsPerItem;
        // op(A)(i, k) = A[i*rsA + k*csA], op(B)(k, j) = B[k*rsB + j*csB] for either transpose.
        long rsA = g.TransA != 0 ? 1 : g.Lda, csA = g.TransA != 0 ? g.Lda : 1;
        long rsB = g.TransB != 0 ? 1 : g.Ldb, csB = g.TransB != 0 ? g.Ldb : 1;
        for (int item = s; item < e; item++)
        {
            int cb = item % colBlocks, rest = item / colBlocks;
            int rb = rest % rowBlocks, bi = rest / rowBlocks;
            long aBase = g.OffA + bi * g.StrideA, bBase = g.OffB + bi * g.StrideB, cBase = g.OffC + bi * g.StrideC;
            int r0 = rb * 4;
            int cEnd = (cb + 1) * g.ColsPerItem < g.N ? (cb + 1) * g.ColsPerItem : g.N;
            for (int q0 = cb * g.ColsPerItem; q0 < cEnd; q0 += 4)
            {
                float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
                float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f, c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
                // Rows/columns past the edge are clamped to the last valid one (their results are
                // never stored), which keeps the inner loop free of bounds branches.
                long a0 = aBase + Clamp(r0, g.M) * rsA, a1 = aBase + Clamp(r0 + 1, g.M) * rsA;
                long a2 = aBase + Clamp(r0 + 2, g.M) * rsA, a3 = aBase + Clamp(r0 + 3, g.M) * rsA;
                long b0 = bBase + Clamp(q0, g.N) * csB, b1 = bBase + Clamp(q0 + 1, g.N) * csB;
                long b2 = bBase + Clamp(q0 + 2, g.N) * csB, b3 = bBase + Clamp(q0 + 3, g.N) * csB;
                for (int k = 0; k < g.K; k++)
                {
                    long ka = k * csA, kb = k * rsB;
                    float x0 = g.A[a0 + ka], x1 = g.A[a1 + ka], x2 = g.A[a2 + ka], x3 = g.A[a3 + ka];
                    float y0 = g.B[b0 + kb], y1 = g.B[b1 + kb], y2 = g.B[b2 + kb], y3 = g.B[b3 + kb];
                    c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
                    c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
                    c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
                    c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
                }
                StoreRow(g, cBase, r0, q0, 1, c00, c01, c02, c03);
                StoreRow(g, cBase, r0 + 1, q0, 1, c10, c11, c12, c13);
                StoreRow(g, cBase, r0 + 2, q0, 1, c20, c21, c22, c23);
                StoreRow(g, cBase, r0 + 3, q0, 1, c30, c31, c32, c33);
            }
        }
    }

    static long Clamp(int i, int n) => i < n ? i : n - 1;
}
