using System.Runtime.CompilerServices;

namespace RobustSeg.Engine.Cpu;

/// <summary>The weight gradient of a stride-1 conv with few output channels, tap by tap on a channels-last layout of the
/// input: dW[:, :, ki, kj] (K x C) = sum over images and padded-grid pixels v of dy[:, v] x[v + ki Dil Wp + kj Dil, :].
/// With the padded image stored pixel by pixel (Wp x C per row), a B row, one pixel's C channels, is read in place, and
/// so is every tap's B (the same rows from another offset); dy, spread on the padded grid (zero in its Wp - Wo extra
/// columns), is packed as A panels that serve all Kh Kw taps. The gathered columns pack each of the C Kh Kw x Ho Wo
/// column floats for only K output channels (the micro-kernel waits on that packing where K is 32-64); here nothing per
/// tap is packed.</summary>
public static unsafe partial class HostGemm
{
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

    /// <summary>Whether it is taken by default: on AVX-512 for up to 128 channels and outputs where the padded grid adds at
    /// most 10 % columns, 12.5 % on maps 32 or more wide, 25 % for 32 channels (one column panel); on AVX2 for up to 64
    /// where it adds at most 10 %, 12.5 % for 32 channels. Paired on Zen 5 against the pixel taps it replaces (with the
    /// input laid out a row block at a time in each core's L2), AVX-512: 0.79-0.81 of the time for 64 channels at
    /// 57x57-113x113 and 65x65 batch 2, 0.86-0.89 for 32 -> 128 at 65x65 and 128 -> 128 at 33x33, 0.98 for 128 -> 128 at
    /// 29x29 batch 1; 12 % extra columns: 64 -> 64 at 65x65 rate 4 0.82, at 33x33 rate 2 0.83, 128 -> 128 at 33x33 rate 2
    /// 0.92, but 64 -> 64 at 17x17 1.19 and at 9x9 1.27; 32 channels at 17x17 (12-24 %) 0.70-0.72, 32 -> 64 0.93, at 9x9
    /// 0.63, at 33x33 rate 4 0.57; 128 -> 128 at 17x17 rate 2 1.23, 256 channels 1.06-1.41. AVX2 (16-column panels):
    /// 0.77-0.80 for 32 -> 32 at 65x65 and 33x33, 0.94-0.96 for 32 -> 64 and 64 -> 64, 0.94 for 32 -> 32 at 17x17; 64 -> 64
    /// at 17x17 1.15, at 33x33 rate 2 1.01; 1.00-1.04 for 128 outputs or channels.</summary>
    public static bool ChannelsLastPays(in Conv2dGeom g)
    {
        if (!ChannelsLastApplies(g)) return false;
        double extra = (double)(DirectConv.PaddedW(g) - g.Wo) / g.Wo;
        return HostSimd.Current switch
        {
            HostSimdPath.Avx512 => g.C <= 128 && g.K <= 128 && (extra <= 0.1 || extra <= 0.125 && g.Wo >= 32 || extra <= 0.25 && g.C <= 32),
            HostSimdPath.Avx2 => g.C <= 64 && g.K <= 64 && (extra <= 0.1 || extra <= 0.125 && g.C <= 32),
            _ => false,
        };
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
    /// images [0, images): x the input images (C x H x W each, xImg apart), dy the output gradients (K x Ho x Wo per image,
    /// yImg apart). Each tile sums its images and row blocks in order, so the bits do not depend on the core count.</summary>
    public static void WeightGradChannelsLast(in Conv2dGeom g, int images, float* x, long xImg, float* dy, long yImg, float* dwt)
    {
        var sh = ShapeFor(HostSimd.Current, g.K);
        int MR = sh.Mr, NR = sh.Nr;
        int L = DirectConv.PixelsOf(g), wp = DirectConv.PaddedW(g), C = g.C, taps = g.Kh * g.Kw;
        int mPanels = Ceil(g.K, MR), nPanels = C / NR, rows = mPanels * MR;
        // Row blocks of about a pixel block each; a block reads its rows and the (Kh - 1) Dil rows below (the halo),
        // and the taps of its last padded-grid columns run (Kw - 1) Dil pixels past them (into zeros: dy is zero there).
        int rb = Math.Max(1, ChannelsLastPixelBlock(sh.Path, C) / wp), halo = (g.Kh - 1) * g.Dil, over = (g.Kw - 1) * g.Dil;
        var G = g;

        // Each core owns a contiguous range of the (column panel, row panel, tap) tiles, so it needs x's channels of only
        // its column panels and dy's rows of only its row panels, and walks images and row blocks outermost. Per block it
        // lays out, in its own buffers (in L2), those channels of the block's padded rows and halo pixel by pixel
        // (<see cref="RowWindow"/>) and those dy rows as A panels on the padded grid (zero in the Wp - Wo columns after
        // each output row); every tile reads its B rows in place, and consecutive tiles share an A panel (in L1). A
        // channels-last copy of the whole input and the A panels of every image, written first, went to memory and back
        // (a sixth of a 64-channel weight gradient at 65x65).
        int tiles = nPanels * mPanels * taps, parts = Math.Min(tiles, HostParallel.Cores), perPanel = mPanels * taps;
        HostParallel.Each(parts, part =>
        {
            int s = Split(tiles, parts, part), e = Split(tiles, parts, part + 1);
            int jp0 = s / perPanel, jp1 = (e - 1) / perPanel + 1, c0 = jp0 * NR, nc = (jp1 - jp0) * NR;
            int ip0 = jp1 - jp0 > 1 ? 0 : s % perPanel / taps, ip1 = jp1 - jp0 > 1 ? mPanels : (e - 1) % perPanel / taps + 1;
            long aPanel = (long)MR * rb * wp;
            var window = new RowWindow(G, x, xImg, c0, nc, rb + halo, over);
            float* ab = Scratch(ref _aRows, checked((int)((ip1 - ip0) * aPanel)));
            for (int n = 0; n < images; n++)
            for (int r0 = 0; r0 < G.Ho; r0 += rb)
            {
                int blockRows = Math.Min(rb, G.Ho - r0);
                float* xb = window.Cover(n, r0, r0 + blockRows + halo) + (long)r0 * wp * nc;
                for (int oh = r0; oh < r0 + blockRows; oh++)
                {
                    var j = new Job { A = dy + n * yImg + (long)oh * G.Wo, Lda = G.OutSpatial, M = G.K, Kc = G.Wo, P0 = 0, Shape = sh };
                    for (int ip = ip0; ip < ip1; ip++)
                    {
                        float* panel = ab + (ip - ip0) * aPanel + (long)(oh - r0) * wp * MR;
                        PackA(in j, ip, ip + 1, panel);
                        if (oh + 1 < G.Ho) new Span<float>(panel + (long)G.Wo * MR, (wp - G.Wo) * MR).Clear();
                    }
                }
                int kc = Math.Min(blockRows * wp, L - r0 * wp);   // the last output row ends at Wo
                float beta = n == 0 && r0 == 0 ? 0f : 1f;
                for (int tile = s; tile < e; tile++)
                {
                    int jp = tile / perPanel, ip = tile / taps % mPanels, t = tile % taps;
                    int off = t / G.Kw * G.Dil * wp + t % G.Kw * G.Dil;
                    float* ct = dwt + ((long)t * rows + (long)ip * MR) * C + jp * NR;
                    Micro(sh, kc, ab + (ip - ip0) * aPanel, new PackedRows(xb + (long)off * nc + (jp - jp0) * NR, nc), ct, C, 1f, beta, NR);
                }
            }
        });
    }

    /// <summary>This thread's block of A panels for <see cref="WeightGradChannelsLast"/>.</summary>
    [ThreadStatic] static float[]? _aRows;
}
