using RobustSeg.Kernels;

namespace RobustSeg.Engine.Ilgpu;

/// <summary>Runs the ILGPU kernels of kernels/RobustSeg.Kernels: the CUDA path, and on the CPU
/// accelerator the reference path for testing the GPU kernels.</summary>
public sealed partial class IlgpuBackend(Device device) : Backend(device), IDisposable
{
    KernelCache K => Device.Kernels;
    readonly Lazy<CuBlas?> _cublas = new(() => CuBlas.TryCreate(device.Accelerator));

    /// <summary>What runs GEMMs here, for `robustseg info`.</summary>
    public string GemmPath => Device.IsCpuAccelerator ? "ILGPU strip kernel"
        : _cublas.Value is { } b ? $"cuBLAS SGEMM ({b.Describe})" : "ILGPU tiled kernel (cuBLAS not found)";

    public void Dispose()
    {
        if (_cublas.IsValueCreated) _cublas.Value?.Dispose();
    }

    public override void Fill(Tensor y, float value)
    {
        int n = (int)y.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.Fill, g, new FillArgs { Y = y.Bits,
            // The kernel stores raw words: an int32 tensor gets the integer's bit pattern.
            Value = y.DType == DType.Int32 ? BitConverter.Int32BitsToSingle((int)value) : value, N = n, Chunk = c });
    }

    public override void Copy(Tensor x, Tensor y)
    {
        int n = (int)x.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.Copy, g, new CopyArgs { X = x.Storage.View, Y = y.Storage.View, N = n, Chunk = c });
    }

    public override void Unary(UnaryOp op, Tensor x, Tensor y, float p0 = 0, float p1 = 0)
    {
        int n = (int)x.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.Unary, g, new UnaryArgs { X = x.View, Y = y.View, Op = op, P0 = p0, P1 = p1, N = n, Chunk = c });
    }

    public override void UnaryGrad(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, float p0 = 0, float p1 = 0)
    {
        int n = (int)x.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.UnaryGrad, g, new UnaryGradArgs { X = x.View, Y = y.View, DY = dy.View, DX = dx.View, Op = op, P0 = p0, P1 = p1, N = n, Chunk = c });
    }

    public override void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y)
    {
        int n = (int)a.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.Binary, g, new BinaryArgs { A = a.View, B = b.View, Y = y.View, Op = op, N = n, Chunk = c });
    }

    public override void SgdStep(Tensor p, Tensor grad, Tensor? buf, float lr, float momentum, float weightDecay, bool first)
    {
        int n = (int)p.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.SgdStep, g, new SgdArgs
        {
            P = p.View, G = grad.View, Buf = (buf ?? grad).View, NegLr = -lr, Momentum = momentum, WeightDecay = weightDecay,
            HasBuf = buf is null ? 0 : 1, First = first ? 1 : 0, N = n, Chunk = c,
        });
    }

    public override void Axpby(float a, Tensor x, float b, Tensor y, Tensor output)
    {
        int n = (int)x.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.Axpby, g, new AxpbyArgs { X = x.View, Y = y.View, Out = output.View, A = a, B = b, N = n, Chunk = c });
    }

    public override void Channel(BinaryOp op, Tensor x, Tensor v, Tensor y, int channels, int spatial)
    {
        int n = (int)x.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.Channel, g, new ChannelArgs { X = x.View, V = v.View, Y = y.View, Op = op, C = channels, S = spatial, N = n, Chunk = c });
    }

    public override void Where(Tensor mask, Tensor a, Tensor b, Tensor y, bool broadcast, int channels, int spatial)
    {
        int n = (int)a.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.Where, g, new WhereArgs { Mask = mask.IntView, A = a.View, B = b.View, Y = y.View, Broadcast = broadcast ? 1 : 0, C = channels, S = spatial, N = n, Chunk = c });
    }

    public override void RandUniform(Tensor y, ulong seed, float lo, float hi)
    {
        int n = (int)y.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.RandUniform, g, new RandArgs { Y = y.View, Seed = seed, Lo = lo, Hi = hi, N = n, Chunk = c });
    }

    public override void IntCompare(IntCompareOp op, Tensor a, Tensor b, Tensor y)
    {
        int n = (int)a.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.IntCompare, g, new IntCompareArgs { A = a.IntView, B = b.IntView, Y = y.IntView, Op = op, N = n, Chunk = c });
    }

    public override void IntToFloat(Tensor x, Tensor y)
    {
        int n = (int)x.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ElementwiseKernels.IntToFloat, g, new IntToFloatArgs { X = x.IntView, Y = y.View, N = n, Chunk = c });
    }

    public override void Reduce(Tensor x, Tensor? y, Tensor output, int outer, int r, int inner, int rChunk)
    {
        int parts = (r + rChunk - 1) / rChunk;
        int total = outer * parts * inner;
        var (g, c) = K.Split(total);
        K.Launch(ReductionKernels.Reduce, g, new ReduceArgs
        {
            X = x.View, Y = (y ?? x).View, Out = output.View, UseY = y is null ? 0 : 1,
            Outer = outer, R = r, Inner = inner, Parts = parts, RChunk = rChunk, Total = total, Chunk = c,
        });
    }

    public override void Expand(Tensor x, Tensor y, int outer, int r, int inner, float scale)
    {
        int n = outer * r * inner;
        var (g, c) = K.Split(n, 256);
        K.Launch(ExpandKernels.Expand, g, new ExpandArgs { X = x.View, Y = y.View, Scale = scale, R = r, Inner = inner, N = n, Chunk = c });
    }

    public override void ChannelMax(Tensor x, Tensor values, Tensor indices, int channels, int spatial)
    {
        int n = (int)values.Numel;
        var (g, c) = K.Split(n, 64);
        K.Launch(ReductionKernels.ChannelMax, g, new ChannelMaxArgs { X = x.View, Values = values.View, Indices = indices.IntView, C = channels, S = spatial, N = n, Chunk = c });
    }

    public override void ChannelScatter(Tensor indices, Tensor dy, Tensor dx, int channels, int spatial)
    {
        int n = (int)dx.Numel;
        var (g, c) = K.Split(n, 256);
        K.Launch(ReductionKernels.ChannelScatter, g, new ChannelScatterArgs { Indices = indices.IntView, DY = dy.View, DX = dx.View, C = channels, S = spatial, N = n, Chunk = c });
    }

    public override void CopyChannels(Tensor src, int srcChannels, int srcOffset, Tensor dst, int dstChannels, int dstOffset, int count, int spatial, int batch, bool accumulate)
    {
        int n = batch * count * spatial;
        var (g, c) = K.Split(n, 256);
        K.Launch(ReductionKernels.CopyChannels, g, new CopyChannelsArgs
        {
            Src = src.Bits, Dst = dst.Bits, SrcC = srcChannels, SrcOff = srcOffset, DstC = dstChannels, DstOff = dstOffset,
            Count = count, S = spatial, Accumulate = accumulate ? 1 : 0, N = n, Chunk = c,
        });
    }
}
