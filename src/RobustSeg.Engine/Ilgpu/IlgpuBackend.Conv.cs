using RobustSeg.Kernels;

namespace RobustSeg.Engine.Ilgpu;

/// <summary>Convolution as im2col + GEMM (and GEMM + gather col2im for the data gradient). The batch is
/// processed in groups of images whose column matrices fit in <see cref="Backend.ConvColumnBudget"/> floats;
/// an image too large for it alone is split into blocks of output rows.</summary>
public sealed partial class IlgpuBackend
{
    void Im2col(in Conv2dGeom g, Tensor x, int n0, int images, int oh0, int rows, Tensor col)
    {
        int total = checked(images * g.ColRows * rows * g.Wo);
        var (grid, ch) = K.Split(total, 256);
        K.Launch(Conv2dKernels.Im2col, grid, ColArgs(g, x, n0, images, oh0, rows, false, col, total, ch));
    }

    void Col2im(in Conv2dGeom g, Tensor col, int n0, int images, int oh0, int rows, Tensor dx)
    {
        int total = checked(images * g.C * g.InSpatial);
        var (grid, ch) = K.Split(total, 64);
        K.Launch(Conv2dKernels.Col2im, grid, ColArgs(g, dx, n0, images, oh0, rows, oh0 > 0, col, total, ch));
    }

    static Conv2dColArgs ColArgs(in Conv2dGeom g, Tensor x, int n0, int images, int oh0, int rows, bool accumulate,
        Tensor col, int total, int chunk) => new()
    {
        X = x.View, Col = col.View, XOff = (long)n0 * g.C * g.InSpatial, Images = images,
        C = g.C, H = g.H, W = g.W, Kh = g.Kh, Kw = g.Kw, Stride = g.Stride, Pad = g.Pad, Dil = g.Dil, Ho = g.Ho, Wo = g.Wo,
        Oh0 = oh0, Rows = rows, Accumulate = accumulate ? 1 : 0, Total = total, Chunk = chunk,
    };

    public override void Conv2dForward(in Conv2dGeom g, Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        Device.Kernels.Count("conv2d_fwd");
        var (group, rb) = ConvBlocks(g, ConvColumnBudget);
        long block = (long)g.ColRows * rb * g.Wo;
        using var col = g.IsPointwise ? null : Tensor.Empty(Device, checked((int)(group * block)));
        for (int n0 = 0; n0 < g.N; n0 += group)
        for (int oh0 = 0; oh0 < g.Ho; oh0 += rb)
        {
            int gi = Math.Min(group, g.N - n0), rows = Math.Min(rb, g.Ho - oh0);
            if (col is not null) Im2col(g, x, n0, gi, oh0, rows, col);
            // y[n][:, block] (K × rows·Wo) = W (K × CKK) · col[n], one batch entry per image, W shared.
            var d = GemmDesc.Dense(g.K, rows * g.Wo, g.ColRows);
            d.Batch = gi; d.StrideA = 0;
            if (col is null) { d.OffsetB = (long)n0 * g.C * g.InSpatial; d.StrideB = (long)g.C * g.InSpatial; }
            else { d.StrideB = block; d.Ldb = rows * g.Wo; }
            d.OffsetC = (long)n0 * g.K * g.OutSpatial + (long)oh0 * g.Wo; d.StrideC = (long)g.K * g.OutSpatial; d.Ldc = g.OutSpatial;
            Gemm(d, w, col ?? x, y);
        }
        if (bias is not null) Channel(BinaryOp.Add, y, bias, y, g.K, g.OutSpatial);
    }

    public override void Conv2dBackwardData(in Conv2dGeom g, Tensor dy, Tensor w, Tensor dx)
    {
        Device.Kernels.Count("conv2d_bwd_data");
        var (group, rb) = ConvBlocks(g, ConvColumnBudget);
        long block = (long)g.ColRows * rb * g.Wo;
        using var col = g.IsPointwise ? null : Tensor.Empty(Device, checked((int)(group * block)));
        for (int n0 = 0; n0 < g.N; n0 += group)
        for (int oh0 = 0; oh0 < g.Ho; oh0 += rb)
        {
            int gi = Math.Min(group, g.N - n0), rows = Math.Min(rb, g.Ho - oh0);
            // dcol[n] (CKK × rows·Wo) = Wᵀ · dy[n][:, block]; pointwise convs write dx directly.
            var d = GemmDesc.Dense(g.ColRows, rows * g.Wo, g.K, transA: true);
            d.Batch = gi; d.StrideA = 0;
            d.OffsetB = (long)n0 * g.K * g.OutSpatial + (long)oh0 * g.Wo; d.StrideB = (long)g.K * g.OutSpatial; d.Ldb = g.OutSpatial;
            if (col is null) { d.OffsetC = (long)n0 * g.C * g.InSpatial; d.StrideC = (long)g.C * g.InSpatial; }
            else { d.StrideC = block; d.Ldc = rows * g.Wo; }
            Gemm(d, w, dy, col ?? dx);
            if (col is not null) Col2im(g, col, n0, gi, oh0, rows, dx);
        }
    }

    public override void Conv2dBackwardWeight(in Conv2dGeom g, Tensor x, Tensor dy, Tensor dw)
    {
        Device.Kernels.Count("conv2d_bwd_weight");
        var (group, rb) = ConvBlocks(g, ConvColumnBudget);
        long block = (long)g.ColRows * rb * g.Wo;
        using var col = g.IsPointwise ? null : Tensor.Empty(Device, checked((int)(group * block)));
        bool first = true;
        for (int n0 = 0; n0 < g.N; n0 += group)
        for (int oh0 = 0; oh0 < g.Ho; oh0 += rb)
        {
            int gi = Math.Min(group, g.N - n0), rows = Math.Min(rb, g.Ho - oh0);
            if (col is not null) Im2col(g, x, n0, gi, oh0, rows, col);
            for (int q = 0; q < gi; q++)
            {
                // dW (K × CKK) (+)= dy[n][:, block] · col[n]ᵀ; a fixed order keeps it deterministic.
                var d = GemmDesc.Dense(g.K, g.ColRows, rows * g.Wo, transB: true);
                d.OffsetA = (long)(n0 + q) * g.K * g.OutSpatial + (long)oh0 * g.Wo; d.Lda = g.OutSpatial;
                if (col is null) { d.OffsetB = (long)(n0 + q) * g.C * g.InSpatial; d.Ldb = g.InSpatial; }
                else { d.OffsetB = q * block; d.Ldb = rows * g.Wo; }
                d.Beta = first ? 0f : 1f;
                first = false;
                Gemm(d, dy, col ?? x, dw);
            }
        }
    }
}
