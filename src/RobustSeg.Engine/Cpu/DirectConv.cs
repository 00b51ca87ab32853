using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>A stride-1 convolution as a GEMM whose B rows are read in place: the image is copied once with its zero
/// padding (C x Hp x Wp), and output pixels are numbered on the padded grid, v = oh * Wp + ow, so tap (c, ki, kj)'s row of
/// B is the padded image itself from offset c Hp Wp + ki Dil Wp + kj Dil on, contiguous across output rows. The micro-kernel
/// loads it directly (<see cref="OffsetRows"/>): no im2col panel is packed, at the price of computing Wp - Wo extra columns
/// per output row, which the GEMM drops when it stores each panel (<see cref="HostGemm.SgemmDirect"/>). Sums run over the
/// same taps in the same order as the packed path, so both give the same bits.</summary>
public readonly unsafe struct DirectConv
{
    /// <summary>Floats past the last padded image that a partial last panel may read (it discards what it reads there).</summary>
    public const int Slack = 64;

    /// <summary>Padded image 0 (image i at X + i ImageFloats); per-tap offsets (C Kh Kw of them).</summary>
    public readonly float* X;
    public readonly int* Off;
    public readonly long ImageFloats;
    /// <summary>Virtual output pixels per image, (Ho - 1) Wp + Wo (Ho Wo where <see cref="RealPixels"/>); the padded and
    /// the output row widths.</summary>
    public readonly int Pixels, Wp, Wo;
    /// <summary>B's rows are the Ho Wo real output pixels (<see cref="AtPixels"/>), pixel (oh, ow) at oh Wp + ow of a
    /// tap's run, rather than the padded grid's.</summary>
    public readonly bool RealPixels;

    public DirectConv(float* x, int* off, in Conv2dGeom g) : this(x, off, ImageFloatsOf(g), PixelsOf(g), PaddedW(g), g.Wo, false) { }

    DirectConv(float* x, int* off, long imageFloats, int pixels, int wp, int wo, bool realPixels)
    {
        X = x; Off = off; ImageFloats = imageFloats; Pixels = pixels; Wp = wp; Wo = wo; RealPixels = realPixels;
    }

    /// <summary>The padded image's taps at the Ho Wo real output pixels of a stride-1 conv, element (oh Wo + ow, t) at
    /// x + oh Wp + ow + off[t]: a weight gradient's columns with no extra pixels (<see cref="HostGemm.SgemmSumTaps"/>).</summary>
    public static DirectConv AtPixels(float* x, int* off, in Conv2dGeom g) =>
        new(x, off, ImageFloatsOf(g), g.OutSpatial, PaddedW(g), g.Wo, true);

    /// <summary>Output pixels per image (Ho Wo).</summary>
    public int OutPixels => (Pixels / Wp + 1) * Wo;

    public DirectConv Image(int i) => new(X + i * ImageFloats, Off, ImageFloats, Pixels, Wp, Wo, RealPixels);

    public static int PaddedW(in Conv2dGeom g) => g.W + 2 * g.Pad;
    public static long ImageFloatsOf(in Conv2dGeom g) => (long)g.C * (g.H + 2 * g.Pad) * PaddedW(g);
    public static int PixelsOf(in Conv2dGeom g) => (g.Ho - 1) * PaddedW(g) + g.Wo;

    /// <summary>The output pixels among padded-grid pixels [v0, v0 + count) (v = oh wp + ow, real where ow &lt; wo and
    /// v &lt; pixels), as runs: seg[3 i] the run's first index from v0, seg[3 i + 1] its output offset oh wo + ow,
    /// seg[3 i + 2] its length. Returns the number of runs (at most count).</summary>
    public static int RealRuns(int v0, int count, int pixels, int wp, int wo, int* seg)
    {
        int n = 0;
        for (int v = v0, end = Math.Min(v0 + count, pixels); v < end;)
        {
            int oh = v / wp, ow = v - oh * wp, len = Math.Min(wp - ow, end - v), valid = Math.Min(len, wo - ow);
            if (valid > 0) { seg[3 * n] = v - v0; seg[3 * n + 1] = oh * wo + ow; seg[3 * n + 2] = valid; n++; }
            v += len;
        }
        return n;
    }

    /// <summary>Stride 1 and not a plain 1x1 (which reads the input as B already).</summary>
    public static bool Applies(in Conv2dGeom g) => g.Stride == 1 && !g.IsPointwise;

    /// <summary>Whether reading in place beats packing for g: the Wp - Wo wasted columns per row cost less than
    /// packing each B float for only K output channels (about <see cref="PackCost"/> multiply-adds per packed float).</summary>
    public static bool Pays(in Conv2dGeom g) => Applies(g) && (double)(PaddedW(g) - g.Wo) / g.Wo < PackCost / g.K;

    /// <summary>Multiply-adds one packed B float costs, measured as the break-even K of 3x3 convs.</summary>
    public const double PackCost = 16;

    /// <summary>The data gradient of a stride-1 conv g is the stride-1 conv of dy with the flipped, transposed weight
    /// (<see cref="FlipTransposed"/>) and padding Dil (Kh - 1) - Pad; null where that padding would be negative or differ
    /// between height and width.</summary>
    public static Conv2dGeom? Transposed(in Conv2dGeom g)
    {
        int pad = g.Dil * (g.Kh - 1) - g.Pad;
        if (!Applies(g) || g.Kh != g.Kw || pad < 0) return null;
        return new Conv2dGeom(g.N, g.K, g.Ho, g.Wo, g.C, g.Kh, g.Kw, 1, pad, g.Dil, g.H, g.W);
    }

    /// <summary>dst[c, k, i, j] = w[k, c, Kh - 1 - i, Kw - 1 - j] for g's weight (K x C x Kh x Kw).</summary>
    public static void FlipTransposed(in Conv2dGeom g, float* w, float* dst)
    {
        // In tiles of 16 input x 16 output channels, parallel over tiles in output order: a tile reads 16 runs of
        // 16 Kh Kw floats and writes 16, where a whole row of dst per task read Kh Kw floats from each of K pages
        // (0.34-0.59 floats/ns from a cold cache, 2.9 ms for a 512->256 3x3 weight, a fifth of its data gradient).
        const int B = 16;
        int kk = g.Kh * g.Kw, K = g.K, C = g.C, kBlocks = (K + B - 1) / B;
        HostParallel.For((long)(C + B - 1) / B * kBlocks, Math.Max(1, (1 << 14) / (B * B * kk)), (s, e) =>
        {
            for (long tile = s; tile < e; tile++)
            {
                int c0 = (int)(tile / kBlocks) * B, k0 = (int)(tile % kBlocks) * B;
                int c1 = Math.Min(C, c0 + B), k1 = Math.Min(K, k0 + B);
                for (int c = c0; c < c1; c++)
                for (int k = k0; k < k1; k++)
                {
                    float* src = w + ((long)k * C + c) * kk, d = dst + ((long)c * K + k) * kk;
                    if (kk == 9 && Avx2.IsSupported)
                    {
                        // A 3x3's taps 8..1 as one reversed vector, then tap 0: a scalar loop per float cost 3 cycles.
                        Avx.Store(d, Avx2.PermuteVar8x32(Avx.LoadVector256(src + 1), Vector256.Create(7, 6, 5, 4, 3, 2, 1, 0)));
                        d[8] = src[0];
                    }
                    else
                        for (int t = 0; t < kk; t++) d[t] = src[kk - 1 - t];
                }
            }
        });
    }

    /// <summary>off[(c Kh + ki) Kw + kj] = c Hp Wp + ki Dil Wp + kj Dil (C Kh Kw ints).</summary>
    public static void Offsets(in Conv2dGeom g, int* off)
    {
        int wp = PaddedW(g), plane = (g.H + 2 * g.Pad) * wp;
        for (int c = 0, r = 0; c < g.C; c++)
        for (int ki = 0; ki < g.Kh; ki++)
        for (int kj = 0; kj < g.Kw; kj++) off[r++] = c * plane + ki * g.Dil * wp + kj * g.Dil;
    }

    /// <summary>Whether a weight gradient should read its columns from the padded image at the real pixels
    /// (<see cref="AtPixels"/>) rather than from the padded grid (<see cref="PaysWeight"/>) or gathered output row by
    /// output row (<see cref="CpuBackend.WeightGradColumns"/>): stride 1, so 8 pixels of an output row are 8 contiguous floats of a tap, and rows at least 8 wide, so
    /// 8 pixels in a row cross at most one row end; and a padded copy at most 2.5 times the image and of at most
    /// <see cref="MaxPixelTapImage"/> floats. The training model's 17x17 maps at rates 2 and 4 took 7-13 % off their
    /// weight gradients (paired runs); at 29x29 it measured no faster, and there ASPP's rates 12 and 18 would copy 3.3
    /// and 5 times their 2048 channels (23 and 35 MB) and PSPNet-50's 4096-channel head 16 MB an image, which had
    /// raised its train step's peak memory above PyTorch's.</summary>
    public static bool ReadsPixelTaps(in Conv2dGeom g) =>
        Applies(g) && g.Wo >= 8 && ImageFloatsOf(g) <= 2.5 * g.C * g.InSpatial && ImageFloatsOf(g) <= MaxPixelTapImage;

    /// <summary>Most floats of one padded image for <see cref="ReadsPixelTaps"/> (4 MB).</summary>
    public const long MaxPixelTapImage = 1 << 20;

    /// <summary>Whether a weight gradient that cannot read the taps at the real pixels (<see cref="ReadsPixelTaps"/>) should
    /// read its columns from the padded grid (<see cref="HostGemm.SgemmSumTaps"/>): the Wp - Wo extra pixels per output
    /// row cost less than gathering each transposed column float for only K output channels.</summary>
    public static bool PaysWeight(in Conv2dGeom g) => Applies(g) && (double)(PaddedW(g) - g.Wo) / g.Wo < PackCost / g.K;

    /// <summary>dst (K x Pixels per image) = dy (K x Ho x Wo per image, yImg apart) on the padded grid, zero in the
    /// Wp - Wo columns past each output row, for images [0, images).</summary>
    public static void Spread(in Conv2dGeom g, float* dy, long yImg, int images, float* dst)
    {
        var G = g;
        int wp = PaddedW(g), pixels = PixelsOf(g);
        HostParallel.For((long)images * g.K, Math.Max(1, (1 << 14) / pixels), (s, e) =>
        {
            for (long ik = s; ik < e; ik++)
            {
                float* src = dy + ik / G.K * yImg + ik % G.K * G.OutSpatial, d = dst + ik * pixels;
                for (int oh = 0; oh < G.Ho; oh++)
                {
                    new ReadOnlySpan<float>(src + (long)oh * G.Wo, G.Wo).CopyTo(new Span<float>(d + (long)oh * wp, G.Wo));
                    if (oh + 1 < G.Ho) new Span<float>(d + (long)oh * wp + G.Wo, wp - G.Wo).Clear();
                }
            }
        });
    }

    /// <summary>Images [0, images) of x (C x H x W each, xImg apart) into dst, zero-padded, one image per ImageFloatsOf(g),
    /// and the <see cref="Slack"/> floats after the last zeroed.</summary>
    public static void Pad(in Conv2dGeom g, float* x, long xImg, int images, float* dst)
    {
        var G = g;
        int wp = PaddedW(g), hp = g.H + 2 * g.Pad;
        long plane = (long)hp * wp;
        HostParallel.For((long)images * g.C, Math.Max(1, (1 << 14) / plane), (s, e) =>
        {
            for (long ic = s; ic < e; ic++)
                PadPlane(x + ic / G.C * xImg + ic % G.C * G.InSpatial, G.H, G.W, dst + ic * plane, G.Pad, G.Pad, hp, wp);
        });
        new Span<float>(dst + images * plane * g.C, Slack).Clear();
    }

    /// <summary>dst (hp x wp) = the h x w plane src with its first row at row top and first column at column left, zeros
    /// around it; every float written once (no clear of the whole plane first). Fully optimised from its first call (see
    /// <see cref="HostGemm.Transpose"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PadPlane(float* src, int h, int w, float* dst, int top, int left, int hp, int wp)
    {
        long first = (long)top * wp + left;
        new Span<float>(dst, (int)first).Clear();
        for (int r = 0; r < h; r++)
        {
            float* row = dst + first + (long)r * wp;
            new ReadOnlySpan<float>(src + (long)r * w, w).CopyTo(new Span<float>(row, w));
            // This row's right padding and the next row's left padding are adjacent.
            if (r + 1 < h) new Span<float>(row + w, wp - w).Clear();
        }
        long end = first + (long)(h - 1) * wp + w;
        new Span<float>(dst + end, (int)((long)hp * wp - end)).Clear();
    }
}
