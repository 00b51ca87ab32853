using ILGPU;

namespace RobustSeg.Kernels;

/// <summary>Row-major batched GEMM arguments (element offsets and strides). op(A): M×K, op(B): K×N.</summary>
public struct GemmArgs
{
    public ArrayView<float> A, B, C;
    public int M, N, K, Lda, Ldb, Ldc, TransA, TransB, Batch;
    public long OffA, OffB, OffC, StrideA, StrideB, StrideC;
    public float Alpha, Beta;
    public int Total, Chunk;
}

public static class GemmKernels
{
    /// <summary>Simple kernel: one output element per index (placeholder for the tiled kernel).</summary>
    public static void Naive(Index1D i, GemmArgs g)
    {
        int s = i * g.Chunk, e = s + g.Chunk < g.Total ? s + g.Chunk : g.Total;
        for (int j = s; j < e; j++)
        {
            int col = j % g.N;
            int row = (j / g.N) % g.M;
            int b = j / (g.N * g.M);
            long ab = g.OffA + b * g.StrideA, bb = g.OffB + b * g.StrideB;
            float acc = 0f;
            for (int k = 0; k < g.K; k++)
            {
                float av = g.TransA != 0 ? g.A[ab + (long)k * g.Lda + row] : g.A[ab + (long)row * g.Lda + k];
                float bv = g.TransB != 0 ? g.B[bb + (long)col * g.Ldb + k] : g.B[bb + (long)k * g.Ldb + col];
                acc += av * bv;
            }
            long ci = g.OffC + b * g.StrideC + (long)row * g.Ldc + col;
            g.C[ci] = g.Beta == 0f ? g.Alpha * acc : g.Alpha * acc + g.Beta * g.C[ci];
        }
    }
}
