using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        if (Kh == 1 && Kw == 1 && Stride == 1 && dstStride == 1 && Pad <= 0 && Wo - Pad <= W)
        {
            // A 1x1 window inside the image's columns (a tap's, TapConv.Window): each output row's segment is one run,
            // no clamps or zero fills (the tap weight gradients' transposed panels: 0.94-0.97 of their time, paired).
            float* xr = X + (long)r * H * W - Pad;
            long at = (long)Oh0 * Wo + pix0;
            int oh1 = (int)(at / Wo), ow1 = (int)(at % Wo);
            for (int i = 0; i < count; oh1++, ow1 = 0)
            {
                int len = Math.Min(Wo - ow1, count - i), ih = oh1 - PadH;
                if ((uint)ih < (uint)H) Copy(xr + (long)ih * W + ow1, 1, dst + i, len); else Zero(dst + i, len);
                i += len;
            }
            return;
        }
        var tap = new Tap(this, r);
        int ki = tap.Ki;
        float* xc = X + (long)tap.C * H * W;
        int off = tap.Kj * Dil - Pad;                       // iw = ow * Stride + off
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
                if (dstStride == 1)
                {
                    // Inline: a segment is one output row (tens of floats), where span calls cost more than the copy.
                    Zero(d, a - ow);
                    Copy(src + (long)a * Stride, Stride, d + (a - ow), b - a);
                    Zero(d + (b - ow), ow + len - b);
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
        var tap = new Tap(this, r0);
        var ahead = new RowPrefetch(this, tap, nseg, segOw[0], nr);
        if (nrFull == 32 && Stride == 1 && Avx512F.IsSupported)
        {
            MaskedRows<Vector512<float>, Half512>(kc, tap, ahead, nseg, segOh, segOw, segLen, segAt, loK, hiK, dst);
            return;
        }
        if (nrFull == 16 && Stride == 1 && Avx.IsSupported)
        {
            MaskedRows<Vector256<float>, Half256>(kc, tap, ahead, nseg, segOh, segOw, segLen, segAt, loK, hiK, dst);
            return;
        }
        long plane = (long)H * W;
        for (int p = 0; p < kc; p++, dst += nrFull, tap.Step(this))
        {
            ahead.Next(this, segOh, nseg, p + RowPrefetch.Ahead < kc);
            float* xc = X + tap.C * plane;
            int off = tap.Kj * Dil - Pad, lo = loK[tap.Kj], hi = hiK[tap.Kj];
            for (int sg = 0; sg < nseg; sg++)
            {
                int so = segOw[sg], len = segLen[sg];
                float* d = dst + segAt[sg];
                int ih = segOh[sg] * Stride - PadH + tap.Ki * Dil;
                if (ih < 0 || ih >= H) { Zero(d, len); continue; }
                float* src = xc + (long)ih * W + off;
                int a = Math.Clamp(lo, so, so + len), b = Math.Clamp(hi, a, so + len);
                Zero(d, a - so);
                Copy(src + (long)a * Stride, Stride, d + (a - so), b - a);
                Zero(d + (b - so), so + len - b);
            }
            for (int q = nr; q < nrFull; q++) dst[q] = 0f;
        }
    }

    /// <summary><see cref="Panel"/>'s rows for stride 1 and the AVX micro-kernels' panels (32 columns on AVX-512, 16 on AVX2):
    /// a panel row is two vector registers, each segment one masked load per register from its input row (masked-off
    /// lanes read as zero and are never touched, so a load may start before or end past the image, and the segments are
    /// OR-ed together), then two stores: no per-float zero fills or tails. A mask depends on the segment and the kernel
    /// column only, so they are made once per panel. On AVX2 the per-segment copies with their scalar tails had cost a
    /// 128-channel rate-2 conv at 17x17 half as much again as its multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void MaskedRows<TV, TH>(int kc, Tap tap, RowPrefetch ahead, int nseg, int* segOh, int* segOw, int* segLen, int* segAt, int* loK,
        int* hiK, float* dst) where TV : unmanaged where TH : struct, IPanelHalf<TV>
    {
        var masks = stackalloc TV[nseg * Kw * 2];
        for (int sg = 0; sg < nseg; sg++)
        for (int kj = 0; kj < Kw; kj++)
        {
            int so = segOw[sg], len = segLen[sg], at = segAt[sg];
            int a = at + Math.Clamp(loK[kj], so, so + len) - so, b = at + Math.Clamp(hiK[kj], so, so + len) - so;
            masks[(sg * Kw + kj) * 2] = TH.Lanes(a, b, 0);
            masks[(sg * Kw + kj) * 2 + 1] = TH.Lanes(a, b, TH.Width);
        }
        long plane = (long)H * W;
        int w = TH.Width;
        for (int p = 0; p < kc; p++, dst += 2 * w, tap.Step(this))
        {
            ahead.Next(this, segOh, nseg, p + RowPrefetch.Ahead < kc);
            float* xc = X + tap.C * plane + tap.Kj * Dil - Pad;
            TV v0 = default, v1 = default;
            for (int sg = 0; sg < nseg; sg++)
            {
                int ih = segOh[sg] - PadH + tap.Ki * Dil;
                if ((uint)ih >= (uint)H) continue;
                float* src = xc + (long)ih * W + segOw[sg] - segAt[sg];   // lane q reads input column q - at + ow + off
                var mk = masks + (sg * Kw + tap.Kj) * 2;
                v0 = TH.LoadOr(v0, src, mk[0]);
                v1 = TH.LoadOr(v1, src + w, mk[1]);
            }
            TH.Store(v0, dst);
            TH.Store(v1, dst + w);
        }
    }

    /// <summary>Half a panel row as one vector register, for <see cref="MaskedRows{TV, TH}"/>.</summary>
    internal interface IPanelHalf<TV> where TV : unmanaged
    {
        static abstract int Width { get; }
        /// <summary>The mask of row lanes [a, b) within the half that starts at lane first.</summary>
        static abstract TV Lanes(int a, int b, int first);
        /// <summary>v | the lanes of mask loaded from src (the others zero, and not read).</summary>
        static abstract TV LoadOr(TV v, float* src, TV mask);
        static abstract void Store(TV v, float* dst);
    }

    internal struct Half512 : IPanelHalf<Vector512<float>>
    {
        public static int Width => 16;
        public static Vector512<float> Lanes(int a, int b, int first)
        {
            var q = Vector512<int>.Indices + Vector512.Create(first);
            return (Vector512.GreaterThanOrEqual(q, Vector512.Create(a)) & Vector512.LessThan(q, Vector512.Create(b))).AsSingle();
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> LoadOr(Vector512<float> v, float* src, Vector512<float> mask) => Avx512F.MaskLoad(src, mask, v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<float> v, float* dst) => Vector512.Store(v, dst);
    }

    internal struct Half256 : IPanelHalf<Vector256<float>>
    {
        public static int Width => 8;
        public static Vector256<float> Lanes(int a, int b, int first)
        {
            var q = Vector256<int>.Indices + Vector256.Create(first);
            return (Vector256.GreaterThanOrEqual(q, Vector256.Create(a)) & Vector256.LessThan(q, Vector256.Create(b))).AsSingle();
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> LoadOr(Vector256<float> v, float* src, Vector256<float> mask) => v | Avx.MaskLoad(src, mask);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<float> v, float* dst) => Vector256.Store(v, dst);
    }

    /// <summary>Row (c, ki, kj) of the column matrix, walked in order.</summary>
    struct Tap
    {
        public int C, Ki, Kj;

        public Tap(in ImplicitCols g, int r)
        {
            int kk = g.Kh * g.Kw;
            (C, Ki, Kj) = (r / kk, r % kk / g.Kw, r % g.Kw);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(in ImplicitCols g)
        {
            if (++Kj == g.Kw) { Kj = 0; if (++Ki == g.Kh) { Ki = 0; C++; } }
        }
    }

    /// <summary>The rows a panel gathers are scattered over the image (another channel plane every Kh Kw rows), so its
    /// loads wait on L2/L3 misses (27 % of the multiply-adds' time in DeepLabV3's dilated 3x3s at 29x29, 15 % with this):
    /// a cursor <see cref="Ahead"/> panel rows on prefetches the input rows of each new (channel, kernel row).</summary>
    struct RowPrefetch
    {
        public const int Ahead = 12;
        Tap _tap;
        readonly int _lo, _hi;

        /// <summary>From the panel's first tap; a panel within one output row (its one segment starts at column ow) reads
        /// only a span of each input row, one over several output rows the whole row.</summary>
        public RowPrefetch(in ImplicitCols g, Tap first, int nseg, int ow, int nr)
        {
            _tap = first;
            (_lo, _hi) = nseg == 1
                ? (Math.Max(0, ow * g.Stride - g.Pad), Math.Min(g.W, (ow + nr - 1) * g.Stride - g.Pad + (g.Kw - 1) * g.Dil + 1))
                : (0, g.W);
            for (int t = 0; t < Ahead; t++) _tap.Step(g);
        }

        /// <summary>Prefetch for the panel row Ahead rows on (when it exists and starts a kernel row), then advance.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Next(in ImplicitCols g, int* segOh, int nseg, bool exists)
        {
            if (exists && _tap.Kj == 0)
            {
                float* xa = g.X + _tap.C * (long)g.H * g.W;
                for (int sg = 0; sg < nseg; sg++)
                {
                    int ih = segOh[sg] * g.Stride - g.PadH + _tap.Ki * g.Dil;
                    if ((uint)ih >= (uint)g.H) continue;
                    float* row = xa + (long)ih * g.W;
                    for (int x = _lo; x < _hi; x += 16) Sse.Prefetch0(row + x);
                    if (_hi > _lo) Sse.Prefetch0(row + _hi - 1);
                }
            }
            _tap.Step(g);
        }
    }

    /// <summary>n zeros, 8 at a time then one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Zero(float* dst, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) Vector256.Store(Vector256<float>.Zero, dst + i);
        for (; i < n; i++) dst[i] = 0f;
    }

    /// <summary>src[0], src[2], ..., src[14] (8 floats of a stride-2 conv's tap along an output row) from two loads that end
    /// at src[14], so nothing past the last float needed is read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Evens8(float* src)
    {
        var lo = Avx.LoadVector256(src);                    // 0..7
        var hi = Avx.LoadVector256(src + 7);                // 7..14
        var mix = Avx.Shuffle(lo, hi, 0xD8);                // 0 2 8 10 | 4 6 12 14
        return Avx2.Permute4x64(mix.AsDouble(), 0xD8).AsSingle();   // 64-bit pairs 0 2 1 3: 0 2 4 6 8 10 12 14
    }

    /// <summary>dst[i] = src[i stride] for i &lt; n, 8 at a time then one by one (panel segments are short: a memmove call
    /// would dominate); stride 2 by <see cref="Evens8"/> (one by one had made the first conv's weight gradient and forward
    /// 1.5x and a 32->64 stride-2 one's 1.3-1.5x their time, paired on Ice Lake).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Copy(float* src, int stride, float* dst, int n)
    {
        int i = 0;
        if (stride == 1)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
        else if (stride == 2 && Avx2.IsSupported)
            for (; i + 8 <= n; i += 8) Avx.Store(dst + i, Evens8(src + 2L * i));
        for (; i < n; i++) dst[i] = src[(long)i * stride];
    }
}
