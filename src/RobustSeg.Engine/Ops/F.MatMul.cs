namespace RobustSeg.Engine;

public static partial class F
{
    /// <summary>op(a) @ op(b) for 2-D (M,K)x(K,N) or batched 3-D (B,M,K)x(B,K,N) tensors; transA/transB
    /// take the stored matrices as transposed (as torch.matmul(a.mT, b) would).</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        Float(a, "matmul"); Float(b, "matmul");
        if (a.Rank != b.Rank || (a.Rank != 2 && a.Rank != 3))
            throw new ArgumentException($"matmul: expected two 2-D or two 3-D tensors, got {a.ShapeString} and {b.ShapeString}");
        bool batched = a.Rank == 3;
        int batch = batched ? a.Size(0) : 1;
        if (batched && b.Size(0) != batch) throw new ArgumentException($"matmul: batch sizes {a.Size(0)} and {b.Size(0)} differ");
        int ar = a.Size(-2), ac = a.Size(-1), br = b.Size(-2), bc = b.Size(-1);
        int m = transA ? ac : ar, k = transA ? ar : ac;
        int kb = transB ? bc : br, n = transB ? br : bc;
        if (k != kb) throw new ArgumentException($"matmul: inner dimensions differ: op(a) is {m}x{k}, op(b) is {kb}x{n}");
        var y = Tensor.Empty(a.Device, batched ? [batch, m, n] : [m, n]);
        RawMatMul(a, b, y, batch, m, n, k, transA, transB);
        return Autograd.Record(y, "matmul", [a, b], (g, needs) =>
        {
            Tensor? da = null, db = null;
            if (needs[0])
            {
                da = Tensor.Empty(a.Device, a.Shape);
                if (!transA) RawMatMul(g, b, da, batch, m, k, n, false, !transB);
                else RawMatMul(b, g, da, batch, k, m, n, transB, true);
            }
            if (needs[1])
            {
                db = Tensor.Empty(b.Device, b.Shape);
                if (!transB) RawMatMul(a, g, db, batch, k, n, m, !transA, false);
                else RawMatMul(g, a, db, batch, n, k, m, true, transA);
            }
            return [da, db];
        });
    }

    /// <summary>y = op(a) op(b), densely packed operands, no tape.</summary>
    internal static void RawMatMul(Tensor a, Tensor b, Tensor y, int batch, int m, int n, int k, bool transA, bool transB)
    {
        var d = GemmDesc.Dense(m, n, k, transA, transB);
        d.Batch = batch;
        a.Device.Backend.Gemm(d, a, b, y);
    }
}
