using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RobustSeg.Engine.Cpu;

/// <summary>A stride-1 convolution as one GEMM per kernel tap over the output rectangle where that tap reads inside the
/// image (<see cref="Live"/>): y[:, rect] += W[:, :, ki, kj] · x[:, rect shifted by the tap]. Where the rate is large
/// against the map (DeepLabV3's ASPP rates 12 and 18 at 29x29) most taps read padding for most outputs; row bands
/// (<see cref="ConvRowBands"/>) skip only whole kernel rows (72 % and 59 % of the taps left), the rectangles skip rows and
/// columns (52 % and 34 %). Each tap's B is packed from the shifted window by <see cref="ImplicitCols"/> as a 1x1 conv
/// whose negative padding is the shift.</summary>
public static unsafe class TapConv
{
    /// <summary>Largest share of the taps' multiply-adds the rectangles may keep for the tap GEMMs to be taken: they cost a
    /// weight copy, and each tap's GEMM reduces over C only (not C Kh Kw), so its output tile is loaded and stored Kh Kw
    /// times as often. Measured in paired runs (Ice Lake, AVX-512) on DeepLabV3's ASPP at 29x29: rate 18 (share 0.34)
    /// forward 0.64 and data gradient 0.62 of the row bands' time, rate 12 (0.52) 0.73 and 0.70; rate 6 (0.74) forward
    /// 1.25 but data gradient 0.84-0.95 (its alternative there is the packed flipped forward over every tap), so a data
    /// gradient may keep more.</summary>
    public const double MaxShare = 0.6, MaxShareDataGrad = 0.75;

    /// <summary>Fewest input and output channels, and output pixels per image, for the tap GEMMs: on 9x9 maps (the
    /// miniature's layer4) they measured 1.07-1.19x the row bands' time forward, and 1.19x for a 64-channel data gradient.</summary>
    public const int MinChannels = 256, MinPixels = 256;

    public static bool Applies(in Conv2dGeom g) => g.Stride == 1 && !g.IsPointwise && g.Kh * g.Kw > 1;

    /// <summary>Whether g runs tap by tap by default (dataGradient: g is a data gradient's flipped convolution).</summary>
    public static bool Pays(in Conv2dGeom g, bool dataGradient = false) => Fits(g, dataGradient ? MaxShareDataGrad : MaxShare);

    static bool Fits(in Conv2dGeom g, double maxShare) =>
        Applies(g) && Math.Min(g.C, g.K) >= MinChannels && g.OutSpatial >= MinPixels && Share(g) <= maxShare;

    /// <summary>A weight gradient may keep up to this share of the multiply-adds tap by tap where it has at least
    /// <see cref="MinChannelsWeightGrad"/> input channels: against the gathered columns (whose B, C Kh Kw columns, is gathered
    /// and transposed from the image), ASPP 2048->256 at rate 6 and 29x29 (share 0.74) took 0.94 of the time (AVX2 0.83),
    /// rate 18 at 65x65 (0.66) 0.78; with 256 input channels, rate 4 at 17x17 (0.71, batch 2-4) 1.15-1.2 and rate 6 at
    /// 29x29 1.07 (paired, Zen 5).</summary>
    public const double MaxShareWeightGrad = 0.75;
    public const int MinChannelsWeightGrad = 1024;

    /// <summary>Whether g's weight gradient runs tap by tap by default: where the forward would, or, with many input
    /// channels, up to <see cref="MaxShareWeightGrad"/>.</summary>
    public static bool PaysWeightGrad(in Conv2dGeom g) => Fits(g, g.C >= MinChannelsWeightGrad ? MaxShareWeightGrad : MaxShare);

    /// <summary>The rectangles' multiply-adds over every tap's.</summary>
    public static double Share(in Conv2dGeom g) => (double)LiveTaps(g) / ((long)g.Kh * g.Kw * g.Ho * g.Wo);

    /// <summary>Taps that read inside the image, summed over one image's output pixels (the rectangles' areas).</summary>
    public static long LiveTaps(in Conv2dGeom g)
    {
        long live = 0;
        for (int ki = 0; ki < g.Kh; ki++)
        for (int kj = 0; kj < g.Kw; kj++)
        {
            var (r0, r1, c0, c1) = Live(g, ki, kj);
            live += (long)(r1 - r0) * (c1 - c0);
        }
        return live;
    }

    /// <summary>Output rows [R0, R1) and columns [C0, C1) whose tap (ki, kj) reads inside the image.</summary>
    public static (int R0, int R1, int C0, int C1) Live(in Conv2dGeom g, int ki, int kj)
    {
        var (r0, r1) = ImplicitCols.ValidCols(g.H, g.Ho, ki * g.Dil - g.Pad, 1);
        var (c0, c1) = ImplicitCols.ValidCols(g.W, g.Wo, kj * g.Dil - g.Pad, 1);
        return (r0, r1, c0, c1);
    }

    /// <summary>Tap (ki, kj)'s window of the image as the B of a 1x1 conv over its rectangle's output rows [r0, r1) (the
    /// live rows, or the part of them a task owns): padding minus the shift, so output (i, j) of the rectangle reads
    /// input (r0 + i + ki Dil - Pad, C0 + j + kj Dil - Pad).</summary>
    public static ImplicitCols Window(float* x, in Conv2dGeom g, int ki, int kj, int r0, int r1)
    {
        var (_, _, c0, c1) = Live(g, ki, kj);
        var w = g with { Kh = 1, Kw = 1, Dil = 1, Pad = -(c0 + kj * g.Dil - g.Pad), Ho = r1 - r0, Wo = c1 - c0 };
        return new ImplicitCols(x, w, 0, -(r0 + ki * g.Dil - g.Pad));
    }

    /// <summary>The whole live rectangle's window.</summary>
    public static ImplicitCols Window(float* x, in Conv2dGeom g, int ki, int kj)
    {
        var (r0, r1, _, _) = Live(g, ki, kj);
        return Window(x, g, ki, kj, r0, r1);
    }

    /// <summary>Output rows cut into parts of about equal tap work (each row weighted by the live columns of the taps live
    /// on it): row cuts[i] to cuts[i + 1] is part i.</summary>
    public static int[] RowCuts(in Conv2dGeom g, int parts)
    {
        var work = new long[g.Ho + 1];   // work[r]: rows [0, r)'s
        for (int ki = 0; ki < g.Kh; ki++)
        for (int kj = 0; kj < g.Kw; kj++)
        {
            var (r0, r1, c0, c1) = Live(g, ki, kj);
            for (int r = r0; r < r1; r++) work[r + 1] += c1 - c0;
        }
        for (int r = 0; r < g.Ho; r++) work[r + 1] += work[r];
        var cuts = new int[parts + 1];
        cuts[parts] = g.Ho;
        for (int p = 1, r = 0; p < parts; p++)
        {
            // The row boundary nearest the p-th share of the work, never before the previous cut.
            double target = (double)work[g.Ho] * p / parts;
            while (r < g.Ho && work[r + 1] <= target) r++;
            if (r < g.Ho && work[r + 1] - target < target - work[r]) r++;
            cuts[p] = Math.Max(r, cuts[p - 1]);
        }
        return cuts;
    }

    /// <summary>Every tap's GEMM operand A packed ahead from the conv weight w (K x C x taps) for the tap GEMMs of g, one
    /// <see cref="PackedA"/> of shape sh per tap at dst + t Floats: tap t's K x C matrix, or, flipped (g the data gradient's
    /// convolution, its output channels the weight's inputs), tap taps - 1 - t's transpose. w is read once, in runs: a
    /// panel's rows are transposed in registers (<see cref="HostGemm.TransposeRows"/>), 8 K steps of taps floats per row
    /// at a time into a scratch from which each tap's 8 steps are copied (a step's 12 rows are 9 floats each, 73 KB
    /// apart in a 2048-channel forward weight), or, flipped, one step's rows, one run, straight into every tap's step.
    /// Copying w tap-major first and each task then packing its panels from that copy had taken 9.4 % of a rate-6 tap
    /// forward's time, this 6 % (perf, ASPP 2048->256 at 29x29, Zen 5).</summary>
    public static PackedA PackTaps(in Conv2dGeom g, float* w, bool flipped, HostGemm.MicroShape sh, float* dst)
    {
        const int Steps = 8;
        var pa = new PackedA(dst, sh, g.K, g.C);
        int taps = g.Kh * g.Kw, mr = sh.Mr, M = g.K;
        long step = pa.Floats;
        // Flipped, w's tap u is g's tap taps - 1 - u: the taps are written from the last one back.
        float* first = flipped ? dst + (taps - 1) * step : dst;
        long ldd = flipped ? -step : step;
        var G = g;
        HostParallel.For(pa.Panels, Math.Max(1, (1 << 15) / (mr * taps * Math.Max(1, g.C))), (s, e) =>
        {
            float** r = stackalloc float*[mr];
            float* sc = stackalloc float[Steps * taps * mr];   // [step][tap][row]
            for (int ip = (int)s; ip < e; ip++)
            {
                int i0 = ip * mr, rows = Math.Min(mr, M - i0);
                int p = 0;
                if (!flipped)
                {
                    if (rows < mr) new Span<float>(sc, Steps * taps * mr).Clear();   // rows past M stay zero
                    // Steps K steps at once (never across a K block: Kc is a multiple of 8): each row's runs are contiguous.
                    for (; p + Steps <= G.C; p += Steps)
                    {
                        for (int q = 0; q < rows; q++) r[q] = w + ((long)(i0 + q) * G.C + p) * taps;
                        HostGemm.TransposeRows(r, rows, Steps * taps, sc, mr);
                        long o = pa.Offset(i0, p);
                        for (int ps = 0; ps < Steps; ps++)
                        for (int t = 0; t < taps; t++) CopyStep(sc + (ps * taps + t) * mr, first + t * ldd + o + ps * mr, mr);
                    }
                }
                for (; p < G.C; p++)
                {
                    float* d = first + pa.Offset(i0, p);
                    for (int q = 0; q < rows; q++)
                        r[q] = w + (flipped ? (long)p * M + i0 + q : (long)(i0 + q) * G.C + p) * taps;
                    HostGemm.TransposeRows(r, rows, taps, d, ldd);
                    for (int q = rows; q < mr; q++)
                    for (int t = 0; t < taps; t++) d[t * ldd + q] = 0f;
                }
            }
        });
        return pa;
    }

    /// <summary>One panel step: n (a tile's rows, 6-12) floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void CopyStep(float* src, float* dst, int n)
    {
        int q = 0;
        if (n >= 8) { Vector256.Store(Vector256.Load(src), dst); q = 8; }
        if (n - q >= 4) { Vector128.Store(Vector128.Load(src + q), dst + q); q += 4; }
        for (; q < n; q++) dst[q] = src[q];
    }

    /// <summary>s[n][k][rows x cw] = y[n][k][rows r0.., columns c0..c0+cw): a tap's rectangle of each channel made
    /// contiguous (parallel over images and channels).</summary>
    public static void CopyWindow(float* y, long yImg, float* s, long sImg, int images, int channels, int r0, int rows, int c0, int cw, int wo, int spatial)
    {
        HostParallel.For((long)images * channels, Math.Max(1, (1 << 15) / Math.Max(1, rows * cw)), (a, e) =>
        {
            for (long nk = a; nk < e; nk++)
            {
                long n = nk / channels, k = nk % channels;
                float* src = y + n * yImg + k * spatial + (long)r0 * wo + c0, dst = s + n * sImg + k * rows * cw;
                for (int i = 0; i < rows; i++)
                    new ReadOnlySpan<float>(src + (long)i * wo, cw).CopyTo(new Span<float>(dst + (long)i * cw, cw));
            }
        });
    }

    /// <summary>dst[k][c][t] = wt[(t rows + k) C + c]: a tap-major weight (each tap's K x C block; rows = K, or more where
    /// each tap's block is padded to whole tiles) back in the conv's layout, output channel by output channel, each tap's
    /// row read in order (the nine taps' rows, rows C floats apart, read for every channel had been 24 % of ASPP rate
    /// 12's tap weight gradient).</summary>
    public static void FromTapMajor(in Conv2dGeom g, float* wt, int rows, float* dst)
    {
        int taps = g.Kh * g.Kw, C = g.C;
        long block = (long)rows * C;
        HostParallel.For(g.K, Math.Max(1, (1 << 14) / (C * taps)), (s, e) =>
        {
            for (long k = s; k < e; k++)
            for (int t = 0; t < taps; t++)
            {
                float* src = wt + t * block + k * C, d = dst + k * C * taps + t;
                for (int c = 0; c < C; c++) d[(long)c * taps] = src[c];
            }
        });
    }
}
