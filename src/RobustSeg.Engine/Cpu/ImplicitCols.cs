using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RobustSeg.Engine.Cpu;

/// <summary>The im2col matrix of one image (rows (c, ki, kj), columns output pixels from row Oh0 on), never
/// materialised: <see cref="HostGemm"/> packs its B panels straight from the image, so a convolution reads
/// the input once from memory instead of writing and re-reading a column matrix Kh*Kw times its size.</summary>
public readonly unsafe struct ImplicitCols
{
    public readonly float* X;
    /// <summary>Pad is the left padding of a row; PadH the top padding (they differ for a band of output rows that
    /// runs only some kernel rows, <see cref="ConvRowBands"/>).</summary>
    public readonly int H, W, Kh, Kw, Stride, Pad, PadH, Dil, Wo, Oh0;

    public ImplicitCols(float* x, in Conv2dGeom g, int oh0, int? padH = null)
    {
        X = x; H = g.H; W = g.W; Kh = g.Kh; Kw = g.Kw; Stride = g.Stride; Pad = g.Pad; PadH = padH ?? g.Pad; Dil = g.Dil; Wo = g.Wo; Oh0 = oh0;
    }

    ImplicitCols(in ImplicitCols o, float* x)
    {
        X = x; H = o.H; W = o.W; Kh = o.Kh; Kw = o.Kw; Stride = o.Stride; Pad = o.Pad; PadH = o.PadH; Dil = o.Dil; Wo = o.Wo; Oh0 = o.Oh0;
    }

    /// <summary>The same geometry on the image floats further on (the next image of a batch).</summary>
    public ImplicitCols Offset(long floats) => new(this, X + floats);

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
            int ih = oh * Stride - PadH + ki * Dil;
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

    /// <summary>GEMM B panel dst[p * nrFull + q] = col(r0 + p, pix0 + q) for p &lt; kc, q &lt; nr, zero for
    /// q in [nr, nrFull). The pixel range's output-row segments are found once per panel and the rows
    /// (c, ki, kj) are walked in order, so a row costs a few segment copies and no divisions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Panel(int r0, int kc, int pix0, int nr, float* dst, int nrFull)
    {
        int* segOh = stackalloc int[nr], segOw = stackalloc int[nr], segLen = stackalloc int[nr], segAt = stackalloc int[nr];
        int nseg = 0;
        long pix = (long)Oh0 * Wo + pix0;
        int oh = (int)(pix / Wo), ow = (int)(pix % Wo);
        for (int i = 0; i < nr; oh++, ow = 0)
        {
            int len = Math.Min(Wo - ow, nr - i);
            segOh[nseg] = oh; segOw[nseg] = ow; segLen[nseg] = len; segAt[nseg] = i; nseg++;
            i += len;
        }
        int* loK = stackalloc int[Kw], hiK = stackalloc int[Kw];
        for (int kj = 0; kj < Kw; kj++) (loK[kj], hiK[kj]) = ValidCols(W, Wo, kj * Dil - Pad, Stride);
        int kk = Kh * Kw;
        int c = r0 / kk, ki = r0 % kk / Kw, kjc = r0 % Kw;
        long plane = (long)H * W;
        for (int p = 0; p < kc; p++, dst += nrFull)
        {
            float* xc = X + c * plane;
            int off = kjc * Dil - Pad, lo = loK[kjc], hi = hiK[kjc];
            for (int sg = 0; sg < nseg; sg++)
            {
                int so = segOw[sg], len = segLen[sg];
                float* d = dst + segAt[sg];
                int ih = segOh[sg] * Stride - PadH + ki * Dil;
                if (ih < 0 || ih >= H) { for (int t = 0; t < len; t++) d[t] = 0f; continue; }
                float* src = xc + (long)ih * W + off;
                int a = Math.Clamp(lo, so, so + len), b = Math.Clamp(hi, a, so + len);
                int t0 = 0;
                for (; t0 < a - so; t0++) d[t0] = 0f;
                if (Stride == 1) Copy(src + a, d + t0, b - a);
                else for (int q = a; q < b; q++) d[q - so] = src[(long)q * Stride];
                for (int t = b - so; t < len; t++) d[t] = 0f;
            }
            for (int q = nr; q < nrFull; q++) dst[q] = 0f;
            if (++kjc == Kw) { kjc = 0; if (++ki == Kh) { ki = 0; c++; } }
        }
    }

    /// <summary>n floats, 8 at a time then one by one (panel segments are short: a memmove call would dominate).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Copy(float* src, float* dst, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
        for (; i < n; i++) dst[i] = src[i];
    }
}
