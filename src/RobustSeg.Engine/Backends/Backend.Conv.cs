namespace RobustSeg.Engine;

/// <summary>Shape of a 2-D convolution: input (N, C, H, W), weight (K, C, Kh, Kw), output (N, K, Ho, Wo);
/// symmetric stride, padding and dilation, groups = 1.</summary>
public readonly record struct Conv2dGeom(int N, int C, int H, int W, int K, int Kh, int Kw,
    int Stride, int Pad, int Dil, int Ho, int Wo)
{
    /// <summary>Rows of the column matrix (C·Kh·Kw): the GEMM reduction length of the forward.</summary>
    public int ColRows => C * Kh * Kw;
    public int OutSpatial => Ho * Wo;
    public int InSpatial => H * W;
    /// <summary>1x1, stride 1, no padding: the input itself is the column matrix.</summary>
    public bool IsPointwise => Kh == 1 && Kw == 1 && Stride == 1 && Pad == 0;
    public double Flops => 2.0 * N * K * Ho * Wo * ColRows;

    public static int OutSize(int size, int kernel, int stride, int pad, int dil) =>
        (size + 2 * pad - dil * (kernel - 1) - 1) / stride + 1;
}

public abstract partial class Backend
{
    // ----- convolution (im2col + GEMM on both backends) -----
    /// <summary>Cap on a convolution's column buffer, in floats (default 16 M = 64 MB): the host blocks
    /// over output rows and the kernels over images to stay under it. Tests lower it to reach those paths.</summary>
    public static long ConvColumnBudget { get; set; } = 16L << 20;

    /// <summary>(images per group, output rows per block) whose column matrices fit in budget floats: as many whole
    /// images as fit, or one image in blocks of output rows when a single image does not.</summary>
    public static (int Group, int Rows) ConvBlocks(in Conv2dGeom g, long budget)
    {
        long perImage = (long)g.ColRows * g.OutSpatial;
        if (perImage <= budget) return ((int)Math.Clamp(budget / Math.Max(1L, perImage), 1, Math.Max(1, g.N)), g.Ho);
        return (1, (int)Math.Clamp(budget / Math.Max(1L, (long)g.ColRows * g.Wo), 1, g.Ho));
    }

    /// <summary>y = conv(x, w) (+ bias per output channel).</summary>
    public abstract void Conv2dForward(in Conv2dGeom g, Tensor x, Tensor w, Tensor? bias, Tensor y);
    /// <summary>dx = d loss / d x from dy (overwrites dx).</summary>
    public abstract void Conv2dBackwardData(in Conv2dGeom g, Tensor dy, Tensor w, Tensor dx);
    /// <summary>dw = d loss / d w from x and dy, summed over the batch (overwrites dw).</summary>
    public abstract void Conv2dBackwardWeight(in Conv2dGeom g, Tensor x, Tensor dy, Tensor dw);
}
