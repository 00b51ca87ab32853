using RobustSeg.Kernels;

namespace RobustSeg.Engine.Ilgpu;

/// <summary>Convolution as im2col + GEMM (and GEMM + gather col2im for the data gradient). The batch is
/// processed in groups of images whose column matrices fit in <see cref="Backend.ConvColumnBudget"/> floats.</summary>
public sealed partial class IlgpuBackend
{
    static int ImagesPerGroup(in Conv2dGeom g) =>
        (int)Math.Clamp(ConvColumnBudget / Math.Max(1L, (long)g.ColRows * g.OutSpatial), 1, g.N);

    void Im2col(in Conv2dGeom g, Tensor x, int n0, int images, Tensor col)
    {
        int total = checked(images * g.ColRows * g.OutSpatial);
        var (grid, ch) = K.Split(total, 256);
        K.Launch(Conv2dKernels.Im2col, grid, ColArgs(g, x, n0, images, col, total, ch));
    }

    void Col2im(in Conv2dGeom g, Tensor col, int n0, int images, Tensor dx)
    {
        int total = checked(images * g.C * g.InSpatial);
        var (grid, ch) = K.Split(total, 64);
        K.Launch(Conv2dKernels.Col2im, grid, ColArgs(g, dx, n0, images, col, total, ch));
    }

    static Conv2dColArgs ColArgs(in Conv2dGeom g, Tensor x, int n0, int images, Tensor col, int total, int chunk) => new()
    {
        X = x.View, Col = col.View, XOff = (long)n0 * g.C * g.InSpatial, Images = images,
        C = g.C, H = g.H, W = g.W, Kh = g.Kh, Kw = g.Kw, Stride = g.Stride, Pad = g.Pad, Dil = g.Dil, Ho = g.Ho, Wo = g.Wo,
        Total = total, Chunk = chunk,
    };

    public override void Conv2dForward(in Conv2dGeom g, Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        Device.Kernels.Count("conv2d_fwd");
        int group = ImagesPerGroup(g);
        long colSize = (long)g.ColRows * g.OutSpatial;
        using var col = g.IsPointwise ? null : Tensor.Empty(Device, (int)(group * colSize));
        for (int n0 = 0; n0 < g.N; n0 += group)
        {
            int gi = Math.Min(group, g.N - n0);
            if (col is not null) Im2col(g, x, n0, gi, col);
            // y[n] (K × HoWo) = W (K × CKK) · col[n] (CKK × HoWo), one batch entry per image, W shared.
            var d = GemmDesc.Dense(g.K, g.OutSpatial, g.ColRows);
            d.Batch = gi; d.StrideA = 0;
            d.OffsetB = col is null ? (long)n0 * g.C * g.InSpatial : 0; d.StrideB = colSize;
            d.OffsetC = (long)n0 * g.K * g.OutSpatial; d.StrideC = (long)g.K * g.OutSpatial;
            Gemm(d, w, col ?? x, y);
        }
        if (bias is not null) Channel(BinaryOp.Add, y, bias, y, g.K, g.OutSpatial);
    }

    public override void Conv2dBackwardData(in Conv2dGeom g, Tensor dy, Tensor w, Tensor dx)
    {
        Device.Kernels.Count("conv2d_bwd_data");
        int group = ImagesPerGroup(g);
        long colSize = (long)g.ColRows * g.OutSpatial;
        using var col = g.IsPointwise ? null : Tensor.Empty(Device, (int)(group * colSize));
        for (int n0 = 0; n0 < g.N; n0 += group)
        {
            int gi = Math.Min(group, g.N - n0);
            // dcol[n] (CKK × HoWo) = Wᵀ · dy[n]; pointwise convs write dx directly.
            var d = GemmDesc.Dense(g.ColRows, g.OutSpatial, g.K, transA: true);
            d.Batch = gi; d.StrideA = 0;
            d.OffsetB = (long)n0 * g.K * g.OutSpatial; d.StrideB = (long)g.K * g.OutSpatial;
            d.OffsetC = col is null ? (long)n0 * g.C * g.InSpatial : 0; d.StrideC = colSize;
            Gemm(d, w, dy, col ?? dx);
            if (col is not null) Col2im(g, col, n0, gi, dx);
        }
    }

    public override void Conv2dBackwardWeight(in Conv2dGeom g, Tensor x, Tensor dy, Tensor dw)
    {
        Device.Kernels.Count("conv2d_bwd_weight");
        int group = ImagesPerGroup(g);
        long colSize = (long)g.ColRows * g.OutSpatial;
        using var col = g.IsPointwise ? null : Tensor.Empty(Device, (int)(group * colSize));
        for (int n0 = 0; n0 < g.N; n0 += group)
        {
            int gi = Math.Min(group, g.N - n0);
            if (col is not null) Im2col(g, x, n0, gi, col);
            for (int q = 0; q < gi; q++)
            {
                // dW (K × CKK) (+)= dy[n] (K × HoWo) · col[n]ᵀ; a fixed image order keeps it deterministic.
                var d = GemmDesc.Dense(g.K, g.ColRows, g.OutSpatial, transB: true);
                d.OffsetA = (long)(n0 + q) * g.K * g.OutSpatial;
                d.OffsetB = col is null ? (long)(n0 + q) * g.C * g.InSpatial : q * colSize;
                d.Beta = n0 + q == 0 ? 0f : 1f;
                Gemm(d, dy, col ?? x, dw);
            }
        }
    }
}
