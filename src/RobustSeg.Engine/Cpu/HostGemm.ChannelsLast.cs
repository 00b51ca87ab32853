using System.Runtime.CompilerServices;

namespace RobustSeg.Engine.Cpu;

/// <summary>The weight gradient of a stride-1 conv with few output channels, tap by tap on a channels-last copy of the
/// input: dW[:, :, ki, kj] (K x C) = sum over images and padded-grid pixels v of dy[:, v] x[v + ki Dil Wp + kj Dil, :].
/// With the padded image stored pixel by pixel (Hp Wp x C, <see cref="PadChannelsLast"/>), a B row, one pixel's C
/// channels, is read in place, and so is every tap's B (the same rows from another offset); dy, spread on the padded
/// grid (zero in its Wp - Wo extra columns), is packed once as A panels and serves all Kh Kw taps. The gathered columns
/// pack each of the C Kh Kw x Ho Wo column floats for only K output channels (the micro-kernel waits on that packing
/// where K is 32-64); here nothing per tap is packed.</summary>
public static unsafe partial class HostGemm
{
    /// <summary>Floats of one image's channels-last padded copy (Hp Wp pixels x C).</summary>
    public static long ChannelsLastImageFloats(in Conv2dGeom g) => (long)(g.H + 2 * g.Pad) * DirectConv.PaddedW(g) * g.C;

    /// <summary>A panels of one image's dy on the padded grid: <see cref="ChannelsLastTapRows"/> x padded-grid pixels.</summary>
    public static long ChannelsLastAFloats(in Conv2dGeom g) => (long)ChannelsLastTapRows(g) * DirectConv.PixelsOf(g);

    /// <summary>Rows of each tap's block of the per-tap gradient: K rounded up to whole tiles.</summary>
    public static int ChannelsLastTapRows(in Conv2dGeom g)
    {
        var sh = ShapeFor(HostSimd.Current, g.K);
        return Ceil(g.K, sh.Mr) * sh.Mr;
    }

    /// <summary>Floats of the per-tap gradient scratch (Kh Kw x <see cref="ChannelsLastTapRows"/> x C).</summary>
    public static long ChannelsLastTapFloats(in Conv2dGeom g) => (long)g.Kh * g.Kw * ChannelsLastTapRows(g) * g.C;

    /// <summary>Whether the channels-last weight gradient applies on this SIMD path: stride 1, a kernel larger than 1x1 and
    /// C a whole number of B panels (32 channels on AVX-512, 16 on AVX2).</summary>
    public static bool ChannelsLastApplies(in Conv2dGeom g) =>
        g.Stride == 1 && g.Kh * g.Kw > 1 && g.C % ShapeFor(HostSimd.Current).Nr == 0;

    /// <summary>Whether it is taken by default: where the padded grid adds at most 10 % columns, on AVX-512 for up to 128
    /// channels and outputs, on AVX2 for up to 64. Paired on Zen 5 against the pixel taps it replaces, AVX-512: 0.79-0.81
    /// of the time for 64 channels at 57x57-113x113 and 65x65 batch 2, 0.81 at 33x33 batch 4, 0.86-0.89 for 32 -> 128 at
    /// 65x65 and 128 -> 128 at 33x33, 0.98 for 128 -> 128 at 29x29 batch 1; slower for 256 channels (1.04) and at 17x17,
    /// where the padded grid adds 12-24 % columns (1.06-1.09). AVX2 (16-column panels): 0.77-0.80 for 32 -> 32 at 65x65
    /// and 33x33, 0.94-0.96 for 32 -> 64 and 64 -> 64; 1.00-1.04 for 128 outputs or channels.</summary>
    public static bool ChannelsLastPays(in Conv2dGeom g) =>
        ChannelsLastApplies(g) && DirectConv.PaddedW(g) - g.Wo <= 0.1 * g.Wo && HostSimd.Current switch
        {
            HostSimdPath.Avx512 => g.C <= 128 && g.K <= 128,
            HostSimdPath.Avx2 => g.C <= 64 && g.K <= 64,
            _ => false,
        };

    /// <summary>Images [0, images) of x (C x H x W each, xImg apart) into dst as channels-last padded images, dstImg floats
    /// apart (0: <see cref="ChannelsLastImageFloats"/>, side by side): pixel (h, w) of the padded grid at (h Wp + w) C, its
    /// C channels contiguous, zero in the padding. 8 x 8 blocks transposed in registers; one parallel region for all
    /// images.</summary>
    public static void PadChannelsLast(in Conv2dGeom g, float* x, long xImg, int images, float* dst, long dstImg = 0)
    {
        var G = g;
        int wp = DirectConv.PaddedW(g), hp = g.H + 2 * g.Pad;
        long img = dstImg > 0 ? dstImg : ChannelsLastImageFloats(g);
        // One task per padded row: its left and right padding zeroed, its pixels transposed from the C input rows.
        HostParallel.For((long)images * hp, Math.Max(1, (1 << 13) / ((long)wp * g.C)), (s, e) =>
        {
            for (long ir = s; ir < e; ir++)
            {
                long n = ir / hp; int r = (int)(ir % hp), h = r - G.Pad;
                float* row = dst + n * img + (long)r * wp * G.C;
                if (h < 0 || h >= G.H) { new Span<float>(row, wp * G.C).Clear(); continue; }
                new Span<float>(row, G.Pad * G.C).Clear();
                new Span<float>(row + (long)(G.Pad + G.W) * G.C, (wp - G.Pad - G.W) * G.C).Clear();
                // The C input rows (a plane apart) become the W pixels' channel runs.
                Transpose(x + n * xImg + (long)h * G.W, G.InSpatial, row + (long)G.Pad * G.C, G.C, G.C, G.W);
            }
        });
    }

    /// <summary>Pixels a tile of <see cref="WeightGradChannelsLast"/> sums per call of the micro-kernel (its K block). AVX-512:
    /// a block's x rows within 256 KB (a quarter of Zen 4/5's L2, so they serve every tap and column panel of a row panel
    /// from L2), 1024-4096 pixels: 2048 for 32 channels, 1024 for 64 and 128. 4096 for every C had measured 0.81-0.90 of
    /// the GEMM's 512 (32-128 channels at 33x33-113x113); against 4096, paired on Zen 5: 64 -> 64 at 65x65 batch 2 0.91-0.94
    /// (rate 2), at 113x113 0.95, at 57x57 0.96; 32 channels 1.0-1.02 at 2048; 128 -> 128 at 33x33 0.99 at 1024 but 1.03
    /// at 512. AVX2: 2048 (0.88-0.93 of 1024's time on Zen 1, which was 0.5-0.7 of 256's, and 4096 0.97-1.14 of 2048's;
    /// 64 channels at 1024 1.0 on Zen 5).</summary>
    static int ChannelsLastPixelBlock(HostSimdPath p, int c) => p == HostSimdPath.Avx512 ? Math.Clamp((1 << 16) / c, 1024, 4096) : 2048;

    /// <summary>dwt (Kh Kw x rows x C, rows = K rounded up to whole tiles) = the per-tap weight gradient summed over
    /// images [0, images): xcl the channels-last padded images (<see cref="PadChannelsLast"/>), dy the output gradients
    /// (K x Ho x Wo per image, yImg apart), apk scratch for their A panels on the padded grid
    /// (<see cref="ChannelsLastAFloats"/> per image). beta 0 writes dwt, 1 adds to it (a later group of images). Each
    /// tile sums its images and pixels in order, so the bits do not depend on the core count.</summary>
    public static void WeightGradChannelsLast(in Conv2dGeom g, int images, float* xcl, float* dy, long yImg, float* apk, float beta, float* dwt)
    {
        var sh = ShapeFor(HostSimd.Current, g.K);
        int MR = sh.Mr, NR = sh.Nr, KC = ChannelsLastPixelBlock(sh.Path, g.C);
        int L = DirectConv.PixelsOf(g), wp = DirectConv.PaddedW(g), C = g.C, taps = g.Kh * g.Kw;
        int mPanels = Ceil(g.K, MR), nPanels = C / NR, rows = mPanels * MR;
        long aImg = (long)rows * L, xImg = ChannelsLastImageFloats(g);
        var G = g;

        // A: each image's dy in MR-row panels on the padded grid (rows past K and the Wp - Wo columns after each output
        // row zero), packed an output row at a time straight from dy: no spread copy of dy is written and read back.
        HostParallel.For((long)images * mPanels, 1, (s, e) =>
        {
            for (long t = s; t < e; t++)
            {
                long n = t / mPanels; int ip = (int)(t % mPanels);
                float* panel = apk + n * aImg + (long)ip * MR * L;
                for (int oh = 0; oh < G.Ho; oh++)
                {
                    var j = new Job { A = dy + n * yImg + (long)oh * G.Wo, Lda = G.OutSpatial, M = G.K, Kc = G.Wo, P0 = 0, Shape = sh };
                    PackA(in j, ip, ip + 1, panel + (long)oh * wp * MR);
                    if (oh + 1 < G.Ho) new Span<float>(panel + ((long)oh * wp + G.Wo) * MR, (wp - G.Wo) * MR).Clear();
                }
            }
        });

        // Each core owns a contiguous range of the (row panel, tap, column panel) tiles and walks images and pixel blocks
        // outermost: one block's A panels and x rows stay in L2 for all its tiles, and consecutive tiles share an A panel
        // (in L1). Summing each tile over all images first streamed a whole group's x and A from L3 per tile (32 -> 64 at
        // 65x65: 1.31x PyTorch's time). Each tile still sums its images and blocks in order: the same bits.
        int tiles = taps * mPanels * nPanels, parts = Math.Min(tiles, HostParallel.Cores);
        HostParallel.Each(parts, part =>
        {
            int s = Split(tiles, parts, part), e = Split(tiles, parts, part + 1);
            for (int n = 0; n < images; n++)
            for (int pc = 0; pc < L; pc += KC)
            {
                int kc = Math.Min(KC, L - pc);
                float tileBeta = n == 0 && pc == 0 ? beta : 1f;
                for (int tile = s; tile < e; tile++)
                {
                    int ip = tile / (taps * nPanels), t = tile / nPanels % taps, jp = tile % nPanels;
                    int off = t / G.Kw * G.Dil * wp + t % G.Kw * G.Dil;
                    float* ct = dwt + ((long)t * rows + (long)ip * MR) * C + jp * NR;
                    float* ap = apk + n * aImg + (long)ip * MR * L + (long)pc * MR;
                    float* xb = xcl + n * xImg + ((long)off + pc) * C + jp * NR;
                    Micro(sh, kc, ap, new PackedRows(xb, C), ct, C, 1f, tileBeta, NR);
                }
            }
        });
    }
}
