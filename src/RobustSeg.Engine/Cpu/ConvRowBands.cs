namespace RobustSeg.Engine.Cpu;

/// <summary>Output rows [Oh0, Oh1) whose live kernel rows are [Kh0, Kh1): the taps of every other kernel row read
/// only padding there.</summary>
public readonly record struct ConvRowBand(int Oh0, int Oh1, int Kh0, int Kh1);

/// <summary>Skipping the padding rows of a dilated convolution on a small map (DeepLabV3's rate-12 and rate-18 branches at
/// 29x29: many output rows read only one or two kernel rows inside the image). The output is cut into bands of rows
/// with the same live kernel rows, and each band is a GEMM over those rows' taps only, with the band's top padding
/// (<see cref="ImplicitCols.PadH"/>) and the weight narrowed to those rows; zero taps are never multiplied. Columns are
/// left alone (the bands stay contiguous in memory).</summary>
public static unsafe class ConvRowBands
{
    /// <summary>Smallest share of the multiply-adds the bands must save, and fewest output pixels in a band, for the bands
    /// to be used: each band is a GEMM of its own and narrows the weight, which cost more than they saved on the 9x9 and
    /// 17x17 maps of the small training models (dilation 4 there saves 16 to 30 % of the taps, in bands of 18 to 68
    /// pixels), measured.</summary>
    public const double MinSaving = 0.2;
    public const int MinBandPixels = 128;

    /// <summary>The bands of g, or null where they would save under <see cref="MinSaving"/> or a band with live taps
    /// would have under <see cref="MinBandPixels"/> pixels.</summary>
    public static ConvRowBand[]? Of(in Conv2dGeom g)
    {
        if (g.Kh == 1) return null;
        // Every convolution call asks: count first, and build the bands only where they save enough.
        long live = 0;
        for (int oh = 0; oh < g.Ho; oh++)
        {
            var (kh0, kh1) = LiveRows(g, oh);
            live += kh1 - kh0;
        }
        if (live > (1 - MinSaving) * g.Ho * g.Kh) return null;
        var bands = new List<ConvRowBand>();
        for (int oh = 0; oh < g.Ho; oh++)
        {
            var (kh0, kh1) = LiveRows(g, oh);
            if (bands.Count > 0 && bands[^1].Kh0 == kh0 && bands[^1].Kh1 == kh1) bands[^1] = bands[^1] with { Oh1 = oh + 1 };
            else bands.Add(new ConvRowBand(oh, oh + 1, kh0, kh1));
        }
        foreach (var b in bands)
            if (b.Kh1 > b.Kh0 && (b.Oh1 - b.Oh0) * g.Wo < MinBandPixels) return null;
        return bands.ToArray();
    }

    /// <summary>The kernel rows [kh0, kh1) that read inside the image for output row oh ((0, 0) when none does).</summary>
    static (int Kh0, int Kh1) LiveRows(in Conv2dGeom g, int oh) => LiveKernel(g.H, oh * g.Stride - g.Pad, g.Kh, g.Dil);

    /// <summary>The kernel indices [k0, k1) whose input coordinate first + k dil lies in [0, size) ((0, 0) when none does):
    /// an output row's live kernel rows, or an output column's live kernel columns.</summary>
    internal static (int K0, int K1) LiveKernel(int size, int first, int kernel, int dil)
    {
        int k0 = 0, k1 = kernel;
        while (k0 < kernel && first + k0 * dil < 0) k0++;
        while (k1 > k0 && first + (k1 - 1) * dil >= size) k1--;
        return k0 == k1 ? (0, 0) : (k0, k1);
    }

    /// <summary>The whole output as one band (the convolution as it is).</summary>
    public static ConvRowBand[] Whole(in Conv2dGeom g) => [new ConvRowBand(0, g.Ho, 0, g.Kh)];

    /// <summary>Band b's convolution: kernel rows [Kh0, Kh1) only (its top padding is <see cref="PadH"/>).</summary>
    public static Conv2dGeom Geometry(in Conv2dGeom g, in ConvRowBand b) => g with { Kh = b.Kh1 - b.Kh0 };

    public static int PadH(in Conv2dGeom g, in ConvRowBand b) => g.Pad - b.Kh0 * g.Dil;

    /// <summary>dst = w[:, :, kh0:kh1, :] contiguous (K x C x (kh1 - kh0) x Kw).</summary>
    public static void NarrowRows(in Conv2dGeom g, float* w, in ConvRowBand b, float* dst)
    {
        int kk = g.Kh * g.Kw, len = (b.Kh1 - b.Kh0) * g.Kw, skip = b.Kh0 * g.Kw;
        // Runs of a few floats: a plain loop (a span copy per run costs more than the run), parallel over blocks.
        HostParallel.For((long)g.K * g.C, Math.Max(1, (1 << 15) / kk), (s, e) =>
        {
            for (long kc = s; kc < e; kc++)
            {
                float* src = w + kc * kk + skip, d = dst + kc * len;
                for (int t = 0; t < len; t++) d[t] = src[t];
            }
        });
    }
}
