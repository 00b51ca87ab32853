using System.Runtime.CompilerServices;

namespace RobustSeg.Engine.Cpu;

/// <summary>Host SGEMM, row-major: C = alpha op(A) op(B) + beta C. (Simple version; to be replaced by
/// the packed-panel micro-kernel.)</summary>
public static unsafe class HostGemm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        HostParallel.For(m, 4, (s, e) =>
        {
            var row = new float[n];
            for (long i = s; i < e; i++)
            {
                Array.Clear(row);
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[(long)p * lda + i] : a[i * lda + p];
                    if (av == 0f) continue;
                    if (!transB) { float* br = b + (long)p * ldb; for (int j = 0; j < n; j++) row[j] += av * br[j]; }
                    else for (int j = 0; j < n; j++) row[j] += av * b[(long)j * ldb + p];
                }
                float* cr = c + i * ldc;
                for (int j = 0; j < n; j++) cr[j] = beta == 0f ? alpha * row[j] : alpha * row[j] + beta * cr[j];
            }
        });
    }
}
