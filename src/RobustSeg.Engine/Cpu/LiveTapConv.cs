using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static RobustSeg.Engine.Cpu.HostGemmKernels512;

namespace RobustSeg.Engine.Cpu;

/// <summary>A stride-1 convolution on AVX-512 or AVX2 that multiplies only the taps reading inside the image, with nothing
/// packed per tap or tile: the input laid out once in blocks of 16 channels (C/16 x H x W x 16, as oneDNN's nChw16c), the
/// weight once per panel of output channels as (channel, tap) rows. An output row is cut into segments where the same
/// kernel columns read inside the image (its live kernel rows are the row's), a segment into tiles of up to 12 pixels (6
/// on AVX2); a tile's pixels are 16 floats apart in every channel block, so the micro-kernel (12 pixels x 32 channels,
/// 6 x 16 on AVX2) broadcasts them straight from the input at fixed displacements against the weight rows of its live
/// taps only. Where the tap GEMMs (<see cref="TapConv"/>) pack every tap's shifted window and add each tap's product into
/// a window of the output, and the row bands multiply the padding columns, this path does neither: the dilated 3x3s of
/// DeepLabV3's ASPP at 29x29 spend two thirds of their time in the kernel. Forward, and the data gradient as the forward
/// of dy with the flipped, transposed kernel.</summary>
public static unsafe class LiveTapConv
{
    /// <summary>Channels per input block.</summary>
    const int Block = 16;

    /// <summary>Output channels per panel (the kernel's columns): two vectors, 32 on AVX-512, 16 on AVX2.</summary>
    static int PanelWidth(HostSimdPath p) => p == HostSimdPath.Avx512 ? 32 : 16;

    /// <summary>Most pixels of a tile (the kernel's rows): 12 on AVX-512 (24 accumulators of 32 registers), 6 on AVX2 (12 of
    /// 16).</summary>
    static int TileWidth(HostSimdPath p) => p == HostSimdPath.Avx512 ? 12 : 6;

    /// <summary>Channels per K block: the block's input (C/16 blocks of the whole map) and one panel's weight rows for it stay
    /// in L2 while every tile of the panel runs (at 29x29: 430 KB and 147 KB). Sized by the input instead (as few as 32
    /// channels at 65x65), ASPP 2048->256 at 65x65 measured no faster.</summary>
    const int BlockChannels = 128;

    /// <summary>This thread's channels-last outputs (its panels, pixel-major rows of a panel's width).</summary>
    [ThreadStatic] static float[]? _out;

    /// <summary>Whether the path can run g: AVX-512 or AVX2, stride 1, a kernel larger than 1x1, whole 16-channel input
    /// blocks and whole output panels.</summary>
    public static bool Applies(in Conv2dGeom g) =>
        HostSimd.Current is HostSimdPath.Avx512 or HostSimdPath.Avx2 && g.Stride == 1 && g.Kh * g.Kw > 1 && g.C % Block == 0
        && g.K % PanelWidth(HostSimd.Current) == 0;

    /// <summary>Whether g runs here by default: 1024 or more input or output channels (the tap GEMMs' and row bands' packing
    /// of the input per tap or kernel row, and their window adds, cost most there), at most 75 % of the taps live and at
    /// most 1024 output pixels (an image's K block of input and a panel's outputs in L2). Paired on Zen 5 against the paths
    /// taken before (row bands for rate 6's forward, the tap GEMMs otherwise), DeepLabV3's ASPP 2048->256 at 29x29:
    /// forward rate 6 0.69, rate 12 0.75, rate 18 0.81; data gradients 0.90-0.92; AVX2 forward 0.67, 0.80, 0.83, data
    /// gradients 0.78-0.80. At 65x65 (rate 6 share 0.87, rate 12 0.77) the forward measured 0.97-0.99, and 256-512
    /// channels at 17x17 and 29x29 0.99-1.05 (AVX-512).</summary>
    public static bool Pays(in Conv2dGeom g) =>
        Applies(g) && Math.Max(g.C, g.K) >= MinChannels && TapConv.Share(g) <= MaxShare && g.OutSpatial <= MaxPixels;

    public const int MinChannels = 1024, MaxPixels = 1024;
    public const double MaxShare = 0.75;

    /// <summary>xb[n][c / 16][h][w][c % 16] = x[n][c][h][w], in parallel over images and channel blocks.</summary>
    public static void BlockInput(in Conv2dGeom g, float* x, float* xb)
    {
        int blocks = g.C / Block, hw = g.InSpatial;
        HostParallel.For((long)g.N * blocks, 1, (s, e) =>
        {
            for (long i = s; i < e; i++)
                HostGemm.Transpose(x + i * Block * hw, hw, xb + i * Block * hw, Block, Block, hw);
        });
    }

    /// <summary>wp[panel][c][t][o] = w[panel nr + o][c][t] (nr = <see cref="PanelWidth"/>): per panel, the (channel, tap)
    /// rows of its output channels.
    /// A run of channels of one output channel is one run of floats in w, so 8 output channels' runs are transposed in
    /// registers into panel rows a run at a time (one channel's taps at a time had cost a tenth of ASPP's forward). Flipped:
    /// w is the weight of the conv whose data gradient g is (g.C x g.K x taps), read as w[c][o][taps - 1 - t], 8 output
    /// channels' taps at a time.</summary>
    public static void PackWeight(in Conv2dGeom g, float* w, bool flipped, float* wp)
    {
        int taps = g.Kh * g.Kw, C = g.C, K = g.K, octets = K / 8, run = Math.Min(C, 64), runs = (C + run - 1) / run;
        int nr = PanelWidth(HostSimd.Current);
        long panelFloats = (long)taps * C * nr;
        if (flipped)
        {
            HostParallel.For((long)C * octets, Math.Max(1, (1 << 12) / (8 * taps)), (s, e) =>
            {
                float** r = stackalloc float*[8];
                for (long item = s; item < e; item++)
                {
                    int c = (int)(item / octets), k0 = (int)(item % octets) * 8;
                    for (int q = 0; q < 8; q++) r[q] = w + ((long)c * K + k0 + q) * taps;
                    HostGemm.TransposeRows(r, 8, taps, wp + k0 / nr * panelFloats + ((long)c * taps + taps - 1) * nr + k0 % nr, -nr);
                }
            });
            return;
        }
        HostParallel.For((long)octets * runs, 1, (s, e) =>
        {
            float** r = stackalloc float*[8];
            for (long item = s; item < e; item++)
            {
                int k0 = (int)(item / runs) * 8, c0 = (int)(item % runs) * run, n = Math.Min(run, C - c0);
                for (int q = 0; q < 8; q++) r[q] = w + ((long)(k0 + q) * C + c0) * taps;
                HostGemm.TransposeRows(r, 8, n * taps, wp + k0 / nr * panelFloats + (long)c0 * taps * nr + k0 % nr, nr);
            }
        });
    }

    /// <summary>y = conv(xb, wp) for the blocked input and packed weight above: one task per image and part of the output
    /// panels (as many parts as give every core the same number of tasks), each running its panels over K blocks of
    /// <see cref="BlockChannels"/>, every tile of a panel in turn, into a channels-last scratch it then transposes into y.
    /// Every output sums its K blocks, live taps and channels in one fixed order, so the bits do not depend on the core
    /// count.</summary>
    public static void Forward(in Conv2dGeom g, float* xb, float* wp, float* y)
    {
        var G = g;
        int nr = PanelWidth(HostSimd.Current), panels = g.K / nr;
        int parts = Math.Min(panels, HostParallel.PartsPerImage(g.N));
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial;
        var tiles = Tiles(g, TileWidth(HostSimd.Current));
        HostParallel.Each(g.N * parts, task =>
        {
            int n = task / parts, b = task % parts;
            int p0 = panels * b / parts, p1 = panels * (b + 1) / parts;
            bool panelFirst = xImg <= PanelFirstFloats;
            float* ct = HostGemm.Scratch(ref _out, checked((panelFirst ? 1 : p1 - p0) * G.OutSpatial * nr));
            int taps = G.Kh * G.Kw;
            int* xoff = stackalloc int[taps], woff = stackalloc int[taps];
            float* xi = xb + n * xImg, yi = y + n * yImg;
            if (panelFirst)
                for (int p = p0; p < p1; p++)
                {
                    for (int c0 = 0; c0 < G.C; c0 += BlockChannels) Panel(G, nr, tiles, xi, wp, p, c0, ct, xoff, woff);
                    HostGemm.Transpose(ct, nr, yi + (long)p * nr * G.OutSpatial, G.OutSpatial, G.OutSpatial, nr);
                }
            else
            {
                for (int c0 = 0; c0 < G.C; c0 += BlockChannels)
                for (int p = p0; p < p1; p++)
                    Panel(G, nr, tiles, xi, wp, p, c0, ct + (long)(p - p0) * G.OutSpatial * nr, xoff, woff);
                for (int p = p0; p < p1; p++)
                    HostGemm.Transpose(ct + (long)(p - p0) * G.OutSpatial * nr, nr, yi + (long)p * nr * G.OutSpatial,
                        G.OutSpatial, G.OutSpatial, nr);
            }
        });
    }

    /// <summary>Most floats of an image's input for a task to run panel by panel, every K block of a panel before the next
    /// (the input stays in L2 and each panel's outputs in L1-L2 until transposed): a data gradient into 2048 channels
    /// from 256. A larger input runs K block by K block, every panel of the task against the block while it is in L2.</summary>
    const long PanelFirstFloats = 1 << 17;

    /// <summary>Every tile of panel p of one image over the K block at channel c0, into cp (the panel's pixel-major outputs;
    /// the first block writes, the others add).</summary>
    static void Panel(in Conv2dGeom g, int nr, List<LiveTile> tiles, float* xi, float* wp, int p, int c0, float* cp, int* xoff, int* woff)
    {
        int taps = g.Kh * g.Kw, blocks = Math.Min(BlockChannels, g.C - c0) / Block;
        float* xc = xi + (long)c0 * g.InSpatial, wc = wp + (long)p * taps * g.C * nr + (long)c0 * taps * nr;
        foreach (var t in tiles)
        {
            int live = 0;
            for (int ki = t.Kh0; ki < t.Kh1; ki++)
            for (int kj = t.Kw0; kj < t.Kw1; kj++, live++)
            {
                xoff[live] = ((t.Oh + ki * g.Dil - g.Pad) * g.W + t.Ow + kj * g.Dil - g.Pad) * Block;
                woff[live] = (ki * g.Kw + kj) * nr;
            }
            float* c = cp + (long)(t.Oh * g.Wo + t.Ow) * nr;
            if (nr == 32) Tile512(t.Pixels, live, xoff, woff, xc, (long)Block * g.InSpatial, blocks, wc, taps * nr, c, c0 > 0);
            else Tile256(t.Pixels, live, xoff, woff, xc, (long)Block * g.InSpatial, blocks, wc, taps * nr, c, c0 > 0);
        }
    }

    /// <summary>A tile: Pixels output pixels from (Oh, Ow) along the row, whose live taps are kernel rows [Kh0, Kh1) x
    /// columns [Kw0, Kw1).</summary>
    public readonly record struct LiveTile(int Oh, int Ow, int Pixels, int Kh0, int Kh1, int Kw0, int Kw1);

    /// <summary>One image's tiles, row by row: each row cut at every column where a kernel column starts or stops reading
    /// inside the image, each segment into as few tiles of at most maxPixels as hold it, of near-equal sizes.</summary>
    public static List<LiveTile> Tiles(in Conv2dGeom g, int maxPixels)
    {
        var cuts = new SortedSet<int> { 0, g.Wo };
        for (int kj = 0; kj < g.Kw; kj++)
        {
            var (_, _, c0, c1) = TapConv.Live(g, 0, kj);
            if (c0 < c1) { cuts.Add(c0); cuts.Add(c1); }
        }
        var edges = cuts.ToArray();
        var tiles = new List<LiveTile>();
        for (int oh = 0; oh < g.Ho; oh++)
        {
            var (kh0, kh1) = ConvRowBands.LiveKernel(g.H, oh - g.Pad, g.Kh, g.Dil);
            for (int s = 0; s + 1 < edges.Length; s++)
            {
                int a = edges[s], len = edges[s + 1] - a;
                var (kw0, kw1) = ConvRowBands.LiveKernel(g.W, a - g.Pad, g.Kw, g.Dil);
                int count = (len + maxPixels - 1) / maxPixels;
                for (int i = 0, at = a; i < count; i++)
                {
                    int size = len / count + (i < len % count ? 1 : 0);
                    tiles.Add(new LiveTile(oh, at, size, kh0, kh1, kw0, kw1));
                    at += size;
                }
            }
        }
        return tiles;
    }

    /// <summary>One AVX-512 tile of r pixels: <see cref="Kernel{TR}"/> at that width.</summary>
    static void Tile512(int r, int taps, int* xoff, int* woff, float* x, long blockStride, int blocks, float* w, int ldw, float* c, bool add)
    {
        switch (r)
        {
            case 12: Kernel<N12>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 11: Kernel<N11>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 10: Kernel<N10>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 9: Kernel<N9>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 8: Kernel<N8>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 7: Kernel<N7>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 6: Kernel<N6>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 5: Kernel<N5>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 4: Kernel<N4>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 3: Kernel<N3>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 2: Kernel<N2>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            default: Kernel<N1>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
        }
    }

    /// <summary>c (TR.Count pixels x 32 channels, rows of 32) = (add ? c : 0) + sum over the live taps t and the K block's
    /// channels j of x[pixel r at xoff[t], channel j] w[woff[t] + j ldw ..]: per channel block, 16 channels with pixel r at
    /// displacement 16 r, so each broadcast is one load at a fixed offset. 24 accumulators, two weight vectors and the
    /// broadcast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    static void Kernel<TR>(int taps, int* xoff, int* woff, float* x, long blockStride, int blocks, float* w, int ldw, float* c, bool add)
        where TR : struct, ITileCount
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        if (add)
        {
            Load(c, 0, ref c00, ref c01); if (TR.Count > 1) Load(c, 1, ref c10, ref c11);
            if (TR.Count > 2) Load(c, 2, ref c20, ref c21); if (TR.Count > 3) Load(c, 3, ref c30, ref c31);
            if (TR.Count > 4) Load(c, 4, ref c40, ref c41); if (TR.Count > 5) Load(c, 5, ref c50, ref c51);
            if (TR.Count > 6) Load(c, 6, ref c60, ref c61); if (TR.Count > 7) Load(c, 7, ref c70, ref c71);
            if (TR.Count > 8) Load(c, 8, ref c80, ref c81); if (TR.Count > 9) Load(c, 9, ref c90, ref c91);
            if (TR.Count > 10) Load(c, 10, ref c100, ref c101); if (TR.Count > 11) Load(c, 11, ref c110, ref c111);
        }
        for (int t = 0; t < taps; t++)
        {
            float* xt = x + xoff[t], b = w + woff[t];
            for (int blk = 0; blk < blocks; blk++, xt += blockStride)
            for (int k = 0; k < Block; k++, b += ldw)
            {
                float* a = xt + k;
                var b0 = Avx512F.LoadVector512(b);
                var b1 = Avx512F.LoadVector512(b + 16);
                { var v = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(v, b0, c00); c01 = Avx512F.FusedMultiplyAdd(v, b1, c01); }
                if (TR.Count > 1) { var v = Vector512.Create(a[16]); c10 = Avx512F.FusedMultiplyAdd(v, b0, c10); c11 = Avx512F.FusedMultiplyAdd(v, b1, c11); }
                if (TR.Count > 2) { var v = Vector512.Create(a[32]); c20 = Avx512F.FusedMultiplyAdd(v, b0, c20); c21 = Avx512F.FusedMultiplyAdd(v, b1, c21); }
                if (TR.Count > 3) { var v = Vector512.Create(a[48]); c30 = Avx512F.FusedMultiplyAdd(v, b0, c30); c31 = Avx512F.FusedMultiplyAdd(v, b1, c31); }
                if (TR.Count > 4) { var v = Vector512.Create(a[64]); c40 = Avx512F.FusedMultiplyAdd(v, b0, c40); c41 = Avx512F.FusedMultiplyAdd(v, b1, c41); }
                if (TR.Count > 5) { var v = Vector512.Create(a[80]); c50 = Avx512F.FusedMultiplyAdd(v, b0, c50); c51 = Avx512F.FusedMultiplyAdd(v, b1, c51); }
                if (TR.Count > 6) { var v = Vector512.Create(a[96]); c60 = Avx512F.FusedMultiplyAdd(v, b0, c60); c61 = Avx512F.FusedMultiplyAdd(v, b1, c61); }
                if (TR.Count > 7) { var v = Vector512.Create(a[112]); c70 = Avx512F.FusedMultiplyAdd(v, b0, c70); c71 = Avx512F.FusedMultiplyAdd(v, b1, c71); }
                if (TR.Count > 8) { var v = Vector512.Create(a[128]); c80 = Avx512F.FusedMultiplyAdd(v, b0, c80); c81 = Avx512F.FusedMultiplyAdd(v, b1, c81); }
                if (TR.Count > 9) { var v = Vector512.Create(a[144]); c90 = Avx512F.FusedMultiplyAdd(v, b0, c90); c91 = Avx512F.FusedMultiplyAdd(v, b1, c91); }
                if (TR.Count > 10) { var v = Vector512.Create(a[160]); c100 = Avx512F.FusedMultiplyAdd(v, b0, c100); c101 = Avx512F.FusedMultiplyAdd(v, b1, c101); }
                if (TR.Count > 11) { var v = Vector512.Create(a[176]); c110 = Avx512F.FusedMultiplyAdd(v, b0, c110); c111 = Avx512F.FusedMultiplyAdd(v, b1, c111); }
            }
        }
        Store(c, 0, c00, c01); if (TR.Count > 1) Store(c, 1, c10, c11);
        if (TR.Count > 2) Store(c, 2, c20, c21); if (TR.Count > 3) Store(c, 3, c30, c31);
        if (TR.Count > 4) Store(c, 4, c40, c41); if (TR.Count > 5) Store(c, 5, c50, c51);
        if (TR.Count > 6) Store(c, 6, c60, c61); if (TR.Count > 7) Store(c, 7, c70, c71);
        if (TR.Count > 8) Store(c, 8, c80, c81); if (TR.Count > 9) Store(c, 9, c90, c91);
        if (TR.Count > 10) Store(c, 10, c100, c101); if (TR.Count > 11) Store(c, 11, c110, c111);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Load(float* c, int r, ref Vector512<float> lo, ref Vector512<float> hi)
        {
            lo = Avx512F.LoadVector512(c + r * 32);
            hi = Avx512F.LoadVector512(c + r * 32 + 16);
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store(float* c, int r, Vector512<float> lo, Vector512<float> hi)
        {
            Avx512F.Store(c + r * 32, lo);
            Avx512F.Store(c + r * 32 + 16, hi);
        }
    }

    /// <summary>One AVX2 tile of r pixels: <see cref="Kernel256{TR}"/> at that width.</summary>
    static void Tile256(int r, int taps, int* xoff, int* woff, float* x, long blockStride, int blocks, float* w, int ldw, float* c, bool add)
    {
        switch (r)
        {
            case 6: Kernel256<N6>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 5: Kernel256<N5>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 4: Kernel256<N4>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 3: Kernel256<N3>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            case 2: Kernel256<N2>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
            default: Kernel256<N1>(taps, xoff, woff, x, blockStride, blocks, w, ldw, c, add); break;
        }
    }

    /// <summary><see cref="Kernel{TR}"/> on AVX2: TR.Count (up to 6) pixels x 16 channels, rows of 16; 12 accumulators, two
    /// weight vectors and the broadcast in the 16 ymm registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    static void Kernel256<TR>(int taps, int* xoff, int* woff, float* x, long blockStride, int blocks, float* w, int ldw, float* c, bool add)
        where TR : struct, ITileCount
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (add)
        {
            Load(c, 0, ref c00, ref c01); if (TR.Count > 1) Load(c, 1, ref c10, ref c11);
            if (TR.Count > 2) Load(c, 2, ref c20, ref c21); if (TR.Count > 3) Load(c, 3, ref c30, ref c31);
            if (TR.Count > 4) Load(c, 4, ref c40, ref c41); if (TR.Count > 5) Load(c, 5, ref c50, ref c51);
        }
        for (int t = 0; t < taps; t++)
        {
            float* xt = x + xoff[t], b = w + woff[t];
            for (int blk = 0; blk < blocks; blk++, xt += blockStride)
            for (int k = 0; k < Block; k++, b += ldw)
            {
                float* a = xt + k;
                var b0 = Avx.LoadVector256(b);
                var b1 = Avx.LoadVector256(b + 8);
                { var v = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(v, b0, c00); c01 = Fma.MultiplyAdd(v, b1, c01); }
                if (TR.Count > 1) { var v = Vector256.Create(a[16]); c10 = Fma.MultiplyAdd(v, b0, c10); c11 = Fma.MultiplyAdd(v, b1, c11); }
                if (TR.Count > 2) { var v = Vector256.Create(a[32]); c20 = Fma.MultiplyAdd(v, b0, c20); c21 = Fma.MultiplyAdd(v, b1, c21); }
                if (TR.Count > 3) { var v = Vector256.Create(a[48]); c30 = Fma.MultiplyAdd(v, b0, c30); c31 = Fma.MultiplyAdd(v, b1, c31); }
                if (TR.Count > 4) { var v = Vector256.Create(a[64]); c40 = Fma.MultiplyAdd(v, b0, c40); c41 = Fma.MultiplyAdd(v, b1, c41); }
                if (TR.Count > 5) { var v = Vector256.Create(a[80]); c50 = Fma.MultiplyAdd(v, b0, c50); c51 = Fma.MultiplyAdd(v, b1, c51); }
            }
        }
        Store(c, 0, c00, c01); if (TR.Count > 1) Store(c, 1, c10, c11);
        if (TR.Count > 2) Store(c, 2, c20, c21); if (TR.Count > 3) Store(c, 3, c30, c31);
        if (TR.Count > 4) Store(c, 4, c40, c41); if (TR.Count > 5) Store(c, 5, c50, c51);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Load(float* c, int r, ref Vector256<float> lo, ref Vector256<float> hi)
        {
            lo = Avx.LoadVector256(c + r * 16);
            hi = Avx.LoadVector256(c + r * 16 + 8);
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store(float* c, int r, Vector256<float> lo, Vector256<float> hi)
        {
            Avx.Store(c + r * 16, lo);
            Avx.Store(c + r * 16 + 8, hi);
        }
    }
}
