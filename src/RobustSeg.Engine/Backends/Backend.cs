using RobustSeg.Kernels;
namespace RobustSeg.Engine;

/// <summary>The op set every device implements (candle's split of device backends). Outputs are
/// allocated by the caller (the functional layer in Ops/), which also checks shapes and records the
/// tape; a backend only computes. Two implementations: <see cref="Ilgpu.IlgpuBackend"/> (ILGPU
/// kernels: CUDA and the CPU accelerator) and <see cref="Cpu.CpuBackend"/> (host SIMD on the CPU
/// accelerator's buffers). Families live in their own partial files.</summary>
public abstract partial class Backend(Device device)
{
    public Device Device { get; } = device;

    // ----- elementwise (Backend.cs) -----
    public abstract void Fill(Tensor y, float value);
    public abstract void Copy(Tensor x, Tensor y);
    public abstract void Unary(UnaryOp op, Tensor x, Tensor y, float p0 = 0f, float p1 = 0f);
    public abstract void UnaryGrad(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, float p0 = 0f, float p1 = 0f);
    public abstract void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y);
    /// <summary>out = a*x + b*y (out may alias y).</summary>
    public abstract void Axpby(float a, Tensor x, float b, Tensor y, Tensor output);

    /// <summary>One torch.optim.SGD update of p in one pass (dampening 0, no Nesterov): d = g + wd p (g where wd is 0);
    /// with a momentum buffer, buf = d on the first step, else m buf + d, and the step is buf (else d); p = p - lr step.
    /// Each product and sum rounded as the separate <see cref="Axpby"/> ops round them, in their order: the same bits
    /// with two fewer passes over p-sized memory.</summary>
    public abstract void SgdStep(Tensor p, Tensor grad, Tensor? buf, float lr, float momentum, float weightDecay, bool first);
    /// <summary>y[n,c,s] = x[n,c,s] op v[c], x seen as (N, C, S).</summary>
    public abstract void Channel(BinaryOp op, Tensor x, Tensor v, Tensor y, int channels, int spatial);
    /// <summary>y = mask != 0 ? a : b; broadcast: mask is (N,S) for (N,C,S) data.</summary>
    public abstract void Where(Tensor mask, Tensor a, Tensor b, Tensor y, bool broadcast, int channels, int spatial);
    public abstract void RandUniform(Tensor y, ulong seed, float lo, float hi);
    public abstract void IntCompare(IntCompareOp op, Tensor a, Tensor b, Tensor y);
    public abstract void IntToFloat(Tensor x, Tensor y);

    // ----- reductions and channel ops -----
    /// <summary>output (Outer, Parts, Inner) = partial sums of x (times y) viewed as (Outer, R, Inner),
    /// part p covering rows [p*rChunk, ...). Parts = ceil(R / rChunk).</summary>
    public abstract void Reduce(Tensor x, Tensor? y, Tensor output, int outer, int r, int inner, int rChunk);
    /// <summary>y (Outer, R, Inner) = scale * x (Outer, Inner) broadcast over R.</summary>
    public abstract void Expand(Tensor x, Tensor y, int outer, int r, int inner, float scale);
    public abstract void ChannelMax(Tensor x, Tensor values, Tensor indices, int channels, int spatial);
    public abstract void ChannelScatter(Tensor indices, Tensor dy, Tensor dx, int channels, int spatial);
    public abstract void CopyChannels(Tensor src, int srcChannels, int srcOffset, Tensor dst, int dstChannels, int dstOffset,
        int count, int spatial, int batch, bool accumulate);

    // ----- GEMM -----
    /// <summary>Row-major batched C = alpha op(A) op(B) + beta C (see <see cref="GemmDesc"/>).</summary>
    public abstract void Gemm(in GemmDesc d, Tensor a, Tensor b, Tensor c);
}

/// <summary>Row-major GEMM description. op(A) is M×K: A is stored M×K (lda ≥ K) or, when TransA,
/// K×M (lda ≥ M). Likewise op(B) is K×N. Offsets and batch strides are in elements.</summary>
public struct GemmDesc
{
    public bool TransA, TransB;
    public int M, N, K, Lda, Ldb, Ldc, Batch;
    public long OffsetA, OffsetB, OffsetC, StrideA, StrideB, StrideC;
    public float Alpha, Beta;

    /// <summary>A plain (optionally transposed) densely packed product, batch 1, alpha 1, beta 0.</summary>
    public static GemmDesc Dense(int m, int n, int k, bool transA = false, bool transB = false) => new()
    {
        TransA = transA, TransB = transB, M = m, N = n, K = k,
        Lda = transA ? m : k, Ldb = transB ? k : n, Ldc = n, Batch = 1,
        StrideA = (long)m * k, StrideB = (long)k * n, StrideC = (long)m * n, Alpha = 1f, Beta = 0f,
    };
}
