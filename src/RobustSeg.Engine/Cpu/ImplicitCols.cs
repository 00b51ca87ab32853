using System.Runtime.CompilerServices;

namespace RobustSeg.Engine.Cpu;

/// <summary>The im2col matrix of one image (rows (c, ki, kj), columns output pixels from row Oh0 on), never
/// materialised: <see cref="HostGemm"/> packs its B panels straight from the image, so a convolution reads
/// the input once from memory instead of writing and re-reading a column matrix Kh*Kw times its size.</summary>
public readonly unsafe struct ImplicitCols
{
    public readonly float* X;
    public readonly int H, W, Kh, Kw, Stride, Pad, Dil, Wo, Oh0;

    public ImplicitCols(float* x, in Conv2dGeom g, int oh0)
    {
        X = x; H = g.H; W = g.W; Kh = g.Kh; Kw = g.Kw; Stride = g.Stride; Pad = g.Pad; Dil = g.Dil; Wo = g.Wo; Oh0 = oh0;
    }

    /// <summary>Output columns [lo, hi) whose input column ow * stride + off lies inside a row of width w.</summary>
    internal static (int Lo, int Hi) ValidCols(int w, int wo, int off, int stride)
    {
        int lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
        int hi = w - 1 - off < 0 ? 0 : (w - 1 - off) / stride + 1;
        lo = Math.Min(lo, wo); hi = Math.Clamp(hi, lo, wo);
        return (lo, hi);
    }

    /// <summary>dst[i * dstStride] = col(r, pix0 + i) for i &lt; count: one output-row segment at a time,
    /// zeros where the kernel tap falls into the padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Row(int r, int pix0, int count, float* dst, int dstStride)
    {
        int kk = Kh * Kw;
        int c = r / kk, ki = r / Kw % Kh, kj = r % Kw;
        float* xc = X + (long)c * H * W;
        int off = kj * Dil - Pad;                           // iw = ow * Stride + off
        var (lo, hi) = ValidCols(W, Wo, off, Stride);
        long pix = (long)Oh0 * Wo + pix0;
        int oh = (int)(pix / Wo), ow = (int)(pix % Wo);
        for (int i = 0; i < count; oh++, ow = 0)
        {
            int len = Math.Min(Wo - ow, count - i);
            int ih = oh * Stride - Pad + ki * Dil;
            float* d = dst + (long)i * dstStride;
            if (ih < 0 || ih >= H)
            {
                for (int t = 0; t < len; t++) d[(long)t * dstStride] = 0f;
            }
            else
            {
                float* src = xc + (long)ih * W + off;
                int a = Math.Clamp(lo, ow, ow + len), b = Math.Clamp(hi, a, ow + len);
                if (dstStride == 1 && Stride == 1)
                {
                    new Span<float>(d, a - ow).Clear();
                    new ReadOnlySpan<float>(src + a, b - a).CopyTo(new Span<float>(d + (a - ow), b - a));
                    new Span<float>(d + (b - ow), ow + len - b).Clear();
                }
                else
                {
                    int t = 0;
                    for (; t < a - ow; t++) d[(long)t * dstStride] = 0f;
                    for (; t < b - ow; t++) d[(long)t * dstStride] = src[(long)(ow + t) * Stride];
                    for (; t < len; t++) d[(long)t * dstStride] = 0f;
                }
            }
            i += len;
        }
    }
}
