using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static RobustSeg.Engine.Cpu.HostGemmKernels512;

namespace RobustSeg.Engine.Cpu;

/// <summary>A stride-1 convolution on AVX-512 from channels-last padded rows of the input (<see cref="RowWindow"/>), in tiles of 12 pixels x 32
/// output channels: y[v, k] = sum over taps t and channels c of x[v + off(t), c] w[k, c, t]. The micro-kernel broadcasts
/// each pixel's channel and reads the weight, packed tap-major as (taps C) x K, as its B rows, so no weight is packed per
/// tile, where the column and direct paths multiply each packed or in-place B float by only K = 32-64 weights and the
/// micro-kernel waits on memory. Two ways to find a tile's pixels:
/// - grid tiles (32 or 64 input channels): output pixels numbered on the padded grid (v = oh Wp + ow), so a tile's 8-14
///   pixels are C floats apart and are broadcast straight from the image, nothing packed; tiles either run along the
///   grid (the Wp - Wo extra pixels per row computed and dropped) or start at each row (<see cref="GridRows"/>), and each
///   tile's outputs are transposed in registers into the output planes.
/// - pixel tiles (64 or more input channels): 12 consecutive real output pixels packed as a GEMM A panel (their taps' C
///   contiguous floats transposed in registers) for <see cref="HostGemmKernels512"/>'s 12x32 kernel, so no padded-grid
///   pixel is computed (at 17x17 a rate-2 grid adds 24 %, a rate-4 one 47 %) and a task's tiles of all images share
///   one weight; the packing is one float per K multiply-adds, and each task transposes its outputs into y in cache.
/// Forward, and the data gradient as the convolution of dy with the flipped, transposed kernel.</summary>
public static unsafe class ChannelsLastConv
{
    /// <summary>Pixels a pixel tile covers (the kernel's rows), output channels per tile; most pixels a grid tile covers.</summary>
    const int Mr = 12, Nr = 32, MaxGridRows = 14;

    /// <summary>This thread's pixel-tile panels, a row of zeros (taps past the last pixel) and the tiles' outputs.</summary>
    [ThreadStatic] static float[]? _panel, _zero, _out;

    /// <summary>Pixel tiles a task packs and runs together (8 measured 0.85-0.9 of 4's time at 128 channels, 17x17), and
    /// the K block they run in (the GEMM's; 256 measured no faster).</summary>
    const int PixelTilesPerTask = 8, PixelKc = 512;

    /// <summary>Whether the path can run g: AVX-512, stride 1, a kernel larger than 1x1, whole 32-channel panels of
    /// outputs, and 32 or 64 input channels (grid tiles) or a multiple of 8 from 64 on (pixel tiles).</summary>
    public static bool Applies(in Conv2dGeom g) =>
        HostSimd.Current == HostSimdPath.Avx512 && g.Stride == 1 && g.Kh * g.Kw > 1 && g.K % Nr == 0
        && (g.C is 32 or 64 || PixelTilesFit(g));

    /// <summary>Whether pixel tiles can run g: 64 or more input channels, whole 8-float blocks of the panel transposition.</summary>
    static bool PixelTilesFit(in Conv2dGeom g) => g.C >= 64 && g.C % 8 == 0;

    /// <summary>Whether g runs on pixel tiles rather than grid tiles: where grid tiles cannot (more than 64 channels) or where
    /// they compute more than a quarter of extra pixels (<see cref="GridWaste"/>).</summary>
    public static bool PixelTiles(in Conv2dGeom g) =>
        PixelTilesFit(g) && (g.C > 64 || GridWaste(g) > 0.25);

    /// <summary>The pixels grid tiles compute past the real ones, as a share of those: on the padded grid or in row tiles
    /// (<see cref="GridRows"/>), whichever it takes.</summary>
    public static double GridWaste(in Conv2dGeom g) => (double)GridPixels(g, GridRows(g)) / g.OutSpatial - 1;

    /// <summary>Pixels grid tiles compute in layout r (<see cref="GridRows"/>: 0 the padded grid, else row tiles of r).</summary>
    static long GridPixels(in Conv2dGeom g, int r) =>
        r > 0 ? (long)g.Ho * ((g.Wo + r - 1) / r) * r : (DirectConv.PixelsOf(g) + Mr - 1) / Mr * Mr;

    /// <summary>Whether it is taken by default. Grid tiles: at most 64 output channels (with 128 the pixels are read four
    /// times: 1.19x the time of a 64 -> 128 forward at 57x57) and at most a quarter of extra pixels computed
    /// (<see cref="GridWaste"/>). Paired on Zen 5 against the paths it replaces (direct or packed, forward and data
    /// gradient): 32 -> 32 at 65x65 0.76, 32 -> 64 0.90-0.93, 32 -> 32 at 33x33 0.73-0.94, at 17x17 rate 2 0.72-0.78;
    /// 64 -> 64 at 113x113 0.86-0.87, at 57x57 0.93, at 33x33 0.93-0.97. On the padded grid, 64 -> 64 at 17x17 had measured
    /// 1.10-1.47 (few tiles for a panel's 72 KB of weight rows streamed from L2) and was not taken; in row tiles, against the
    /// paths taken before: 64 -> 64 at 17x17 batch 4 forward 0.97, data gradient 0.89, batch 2 0.92 and 0.86 (rate 2),
    /// rate 2 forward 0.72, rate 4 0.77, 64 -> 32 0.83, 32 -> 32 at rate 4 0.71, 64 -> 64 at 9x9 batch 8 0.39. Pixel tiles:
    /// 128 input channels, paired on Zen 5 against the paths they replace (packed, direct, Winograd): 128 -> 128 at 17x17
    /// batch 4 rate 2 0.84-0.87 (forward and data gradient), rate 1 0.88-0.98, batch 2 0.94-0.96; 128 -> 64 0.88; at 33x33
    /// and 57x57 0.96-1.0, 9x9 batch 8 0.78-0.80; 3x3 kernels only (as measured). Not 64 channels (0.97-1.03) nor 256
    /// (1.06-1.41 against the tap GEMMs and the packed path).</summary>
    public static bool Pays(in Conv2dGeom g) =>
        Applies(g) && (PixelTiles(g)
            ? g.C == 128 && g.Kh * g.Kw == 9
            : g.K <= 64 && GridWaste(g) <= 0.25);

    /// <summary>Output tiles of one image: real pixels in tiles of 12 (pixel tiles), or the pixels grid tiles compute in
    /// their layout over its tile width.</summary>
    static int Tiles(in Conv2dGeom g)
    {
        if (PixelTiles(g)) return (g.OutSpatial + Mr - 1) / Mr;
        int r = GridRows(g);
        return (int)(GridPixels(g, r) / (r > 0 ? r : Mr));
    }

    /// <summary>Grid tiles' layout: 0, tiles of 12 consecutive padded-grid pixels (a tile may span the end of a row, where
    /// the Wp - Wo pixels between rows are computed and dropped); or r (8-14), tiles of r pixels starting at each output
    /// row's first, so no pixel between rows is computed, and a row's last tile only its past-the-row lanes. Whichever
    /// computes fewer pixels (ties to the wider tile): rows of 65 in 5 tiles of 13 (the padded grid adds 3-6 % at rate
    /// 1-2), rows of 33 in 3 of 11, rows of 17 in 2 of 9 (the rate-2 grid adds 24 %, the rate-4 one 47 %).</summary>
    public static int GridRows(in Conv2dGeom g)
    {
        long best = GridPixels(g, 0);
        int rows = 0;
        for (int r = MaxGridRows; r >= 8; r--)
            if (GridPixels(g, r) is var p && p < best) (best, rows) = (p, r);
        return rows;
    }

    /// <summary>wt[(t C + c) K + k] = w[k, c, t]: the weight as the kernel's B rows, tap-major. flipped: w is the weight of
    /// the conv whose data gradient g is (g.C x g.K x taps), so w[c, k, taps - 1 - t], its flipped transpose, is read in
    /// place rather than copied first. Per input channel and 8 output channels (K is whole 32-channel panels), their 8
    /// runs of taps floats transposed in registers, in parallel (flipped: written from the last tap row up); one float at
    /// a time K apart had cost an eighth of a 256-channel forward at 17x17.</summary>
    public static void PackWeight(in Conv2dGeom g, float* w, bool flipped, float* wt)
    {
        int taps = g.Kh * g.Kw, C = g.C, K = g.K, kBlocks = K / 8;
        long tapRow = (long)C * K;
        HostParallel.For((long)C * kBlocks, Math.Max(1, (1 << 12) / (8 * taps)), (s, e) =>
        {
            float** r = stackalloc float*[8];
            for (long item = s; item < e; item++)
            {
                int c = (int)(item / kBlocks), k0 = (int)(item % kBlocks) * 8;
                for (int q = 0; q < 8; q++) r[q] = w + (flipped ? (long)c * K + k0 + q : (long)(k0 + q) * C + c) * taps;
                if (flipped) HostGemm.TransposeRows(r, 8, taps, wt + (taps - 1) * tapRow + (long)c * K + k0, -tapRow);
                else HostGemm.TransposeRows(r, 8, taps, wt + (long)c * K + k0, tapRow);
            }
        });
    }

    /// <summary>off[t C + c] = the float offset of tap t's channel c from a pixel of the channels-last padded image (grid
    /// tiles; pixel tiles take none).</summary>
    public static void Offsets(in Conv2dGeom g, int* off)
    {
        int wp = DirectConv.PaddedW(g);
        for (int ki = 0; ki < g.Kh; ki++)
        for (int kj = 0; kj < g.Kw; kj++)
        for (int c = 0; c < g.C; c++)
            off[(ki * g.Kw + kj) * g.C + c] = (ki * g.Dil * wp + kj * g.Dil) * g.C + c;
    }

    /// <summary>y (images x K x Ho x Wo) = conv(x, ·) for images [0, images): wt the packed weight, off the offsets (grid
    /// tiles). Per core, runs of tiles in order, each reading its rows from the core's <see cref="RowWindow"/> (all C
    /// channels of the rows its pixels' taps reach); each tile sums its taps and channels in one fixed order, so the bits do
    /// not depend on the core count.</summary>
    public static void Forward(in Conv2dGeom g, float* x, long xImg, int images, float* wt, int* off, float* y, long yImg)
    {
        if (PixelTiles(g)) { ForwardPixels(g, x, xImg, images, wt, y, yImg); return; }
        var G = g;
        int tiles = Tiles(g), kdim = g.Kh * g.Kw * g.C, panels = g.K / Nr, rowTile = GridRows(g);
        int wp = DirectConv.PaddedW(g), halo = (g.Kh - 1) * g.Dil, lanes = rowTile > 0 ? rowTile : Mr;
        // A tile's computed lanes reach the next row's first pixels past a row's end (dropped), and its taps (Kw - 1) Dil
        // pixels past the last row they reach: the slack.
        int capacity = WindowRows(g, (MaxGridRows - 1) / wp + 2 + halo), slack = MaxGridRows + (g.Kw - 1) * g.Dil;
        HostParallel.For((long)images * tiles, TilesPerTask, (s, e) =>
        {
            float* ct = stackalloc float[MaxGridRows * Nr];
            int* seg = stackalloc int[3 * MaxGridRows];
            var masks = stackalloc Vector512<float>[MaxGridRows];
            var window = new RowWindow(G, x, xImg, 0, G.C, capacity, slack);
            int pixels = DirectConv.PixelsOf(G), perRow = rowTile > 0 ? (G.Wo + rowTile - 1) / rowTile : 0;
            for (long it = s; it < e; it++)
            {
                int n = (int)(it / tiles), t = (int)(it % tiles), v0, segs;
                if (rowTile == 0) { v0 = t * Mr; segs = RunMasks(v0, Mr, pixels, wp, G.Wo, seg, masks); }
                else
                {
                    int oh = t / perRow, ow = t % perRow * rowTile;
                    v0 = oh * wp + ow;
                    segs = RunMasks(v0, Math.Min(rowTile, G.Wo - ow), pixels, wp, G.Wo, seg, masks);
                }
                float* xi = window.Cover(n, v0 / wp, (v0 + lanes - 1) / wp + halo + 1);
                for (int jp = 0; jp < panels; jp++)
                {
                    float* a = xi + (long)v0 * G.C, b = wt + jp * Nr;
                    if (G.C == 32) TileRows<N32>(rowTile, kdim, a, off, b, G.K, ct);
                    else TileRows<N64>(rowTile, kdim, a, off, b, G.K, ct);
                    if (segs > 0) StorePlanar(ct, y + n * yImg + (long)jp * Nr * G.OutSpatial, G.OutSpatial, seg, masks, segs);
                }
            }
        });
    }

    /// <summary>Grid tiles a task runs at least (neighbouring tiles share input rows in a core's window).</summary>
    const int TilesPerTask = 8;

    /// <summary>Most floats of a core's <see cref="RowWindow"/> (256 KB, a quarter of Zen 4/5's L2).</summary>
    const int WindowFloats = 1 << 16;

    /// <summary>Rows of a core's window for g: as many padded rows of all C channels as fit <see cref="WindowFloats"/>,
    /// at least span (the rows one task reads at once), at most the padded image.</summary>
    static int WindowRows(in Conv2dGeom g, int span) =>
        Math.Min(g.H + 2 * g.Pad, Math.Max(span, WindowFloats / (DirectConv.PaddedW(g) * g.C)));

    /// <summary>One grid tile of r pixels (0: 12) into ct (r x 32, row stride 32): <see cref="Tile"/> at that width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void TileRows<TC>(int r, int kdim, float* a, int* off, float* b, int ldb, float* ct) where TC : struct, ITileCount
    {
        switch (r)
        {
            case 0: case 12: Tile<N12, TC>(kdim, a, off, b, ldb, ct, Nr); break;
            case 13: Tile<N13, TC>(kdim, a, off, b, ldb, ct, Nr); break;
            case 14: Tile<N14, TC>(kdim, a, off, b, ldb, ct, Nr); break;
            case 11: Tile<N11, TC>(kdim, a, off, b, ldb, ct, Nr); break;
            case 10: Tile<N10, TC>(kdim, a, off, b, ldb, ct, Nr); break;
            case 9: Tile<N9, TC>(kdim, a, off, b, ldb, ct, Nr); break;
            default: Tile<N8, TC>(kdim, a, off, b, ldb, ct, Nr); break;
        }
    }

    /// <summary>A grid tile's runs of real pixels (<see cref="DirectConv.RealRuns"/> of padded-grid pixels v0 .. v0 + count - 1),
    /// seg[3 i + 1] turned into the plane offset of lane 0 and masks[i] the run's lanes, for every store of the tile.</summary>
    static int RunMasks(int v0, int count, int pixels, int wp, int wo, int* seg, Vector512<float>* masks)
    {
        int n = DirectConv.RealRuns(v0, count, pixels, wp, wo, seg);
        var lane = Vector512<int>.Indices;
        for (int i = 0; i < n; i++)
        {
            int first = seg[3 * i];
            seg[3 * i + 1] -= first;
            masks[i] = (Vector512.GreaterThanOrEqual(lane, Vector512.Create(first))
                & Vector512.LessThan(lane, Vector512.Create(first + seg[3 * i + 2]))).AsSingle();
        }
        return n;
    }

    /// <summary>A grid tile's outputs ct (up to 14 pixels x 32 channels) into their planes: per 16 channels a 16x16 register
    /// transposition (pixel r in lane r) and one masked store per channel and run of real pixels, so no channels-last output
    /// is written and transposed in a pass after (that pass was up to 7 % of a 64 -> 64 rate-2 forward at 65x65; 32 -> 32
    /// at 65x65 batch 4 takes 0.93 of the time without it). Masked-off lanes are not written (nor faulted on). Rows 12-15
    /// are read only where a run reaches lane 12 (rows 12 and 13 then stand in for 14 and 15, never stored); otherwise rows
    /// 8-11 stand in for them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void StorePlanar(float* ct, float* y, long plane, int* seg, Vector512<float>* masks, int segs)
    {
        bool wide = seg[3 * (segs - 1)] + seg[3 * (segs - 1) + 2] > 12;
        Span<Vector512<float>> u = stackalloc Vector512<float>[16];
        for (int h = 0; h < Nr; h += 16)
        {
            float* src = ct + h;
            for (int g = 0; g < (wide ? 4 : 3); g++)
            {
                // Per 128-bit lane j, u[4g + m] holds rows 4g .. 4g + 3 of column 4j + m (rows past 13 repeat row 13).
                float* r0 = src + 4 * g * Nr, r1 = r0 + Nr, r2 = r0 + 2 * Nr, r3 = r0 + 3 * Nr;
                if (g == 3) { r2 = r1; r3 = r1; }
                var t0 = Avx512F.UnpackLow(Avx512F.LoadVector512(r0), Avx512F.LoadVector512(r1));
                var t1 = Avx512F.UnpackHigh(Avx512F.LoadVector512(r0), Avx512F.LoadVector512(r1));
                var t2 = Avx512F.UnpackLow(Avx512F.LoadVector512(r2), Avx512F.LoadVector512(r3));
                var t3 = Avx512F.UnpackHigh(Avx512F.LoadVector512(r2), Avx512F.LoadVector512(r3));
                u[4 * g] = Avx512F.Shuffle(t0, t2, 0x44); u[4 * g + 1] = Avx512F.Shuffle(t0, t2, 0xEE);
                u[4 * g + 2] = Avx512F.Shuffle(t1, t3, 0x44); u[4 * g + 3] = Avx512F.Shuffle(t1, t3, 0xEE);
            }
            int hi = wide ? 12 : 8;
            for (int m = 0; m < 4; m++)
            {
                // Column 4j + m = [u[m] lane j, u[4 + m] lane j, u[8 + m] lane j, u[hi + m] lane j].
                var va = Avx512F.Shuffle4x128(u[m], u[4 + m], 0x88);
                var vb = Avx512F.Shuffle4x128(u[m], u[4 + m], 0xDD);
                var wa = Avx512F.Shuffle4x128(u[8 + m], u[hi + m], 0x88);
                var wb = Avx512F.Shuffle4x128(u[8 + m], u[hi + m], 0xDD);
                var q0 = Avx512F.Shuffle4x128(va, wa, 0x88);
                var q1 = Avx512F.Shuffle4x128(vb, wb, 0x88);
                var q2 = Avx512F.Shuffle4x128(va, wa, 0xDD);
                var q3 = Avx512F.Shuffle4x128(vb, wb, 0xDD);
                for (int sg = 0; sg < segs; sg++)
                {
                    var mask = masks[sg];
                    float* d = y + seg[3 * sg + 1] + (h + m) * plane;
                    Avx512F.MaskStore(d, mask, q0);
                    Avx512F.MaskStore(d + 4 * plane, mask, q1);
                    Avx512F.MaskStore(d + 8 * plane, mask, q2);
                    Avx512F.MaskStore(d + 12 * plane, mask, q3);
                }
            }
        }
    }

    /// <summary>Pixel tiles (<see cref="Forward"/>): one task per (image, run of <see cref="PixelTilesPerTask"/> tiles), its
    /// pixels' rows read from the core's <see cref="RowWindow"/>, runs K blocks of <see cref="PixelKc"/>, packing its tiles' panels for the
    /// block (192 KB) and running them tile by tile, each A panel in L1 against the block's weight rows, into a
    /// channels-last scratch of its own that it transposes into y while it is in cache.</summary>
    static void ForwardPixels(in Conv2dGeom g, float* x, long xImg, int images, float* wt, float* y, long yImg)
    {
        var G = g;
        int tiles = Tiles(g), kdim = g.ColRows, panels = g.K / Nr, halo = (g.Kh - 1) * g.Dil;
        int tasks = (tiles + PixelTilesPerTask - 1) / PixelTilesPerTask;
        int capacity = WindowRows(g, (PixelTilesPerTask * Mr - 1) / g.Wo + 2 + halo);
        HostParallel.For((long)images * tasks, 1, (s, e) =>
        {
            var window = new RowWindow(G, x, xImg, 0, G.C, capacity, 0);
            float* pa = HostGemm.Scratch(ref _panel, PixelTilesPerTask * Mr * PixelKc);
            float* ct = HostGemm.Scratch(ref _out, PixelTilesPerTask * Mr * G.K);
            float* zero = HostGemm.Scratch(ref _zero, G.C);
            new Span<float>(zero, G.C).Clear();
            for (long it = s; it < e; it++)
            {
                int n = (int)(it / tasks);
                int t0 = (int)(it % tasks) * PixelTilesPerTask, t1 = Math.Min(tiles, t0 + PixelTilesPerTask);
                int qLast = Math.Min(G.OutSpatial, t1 * Mr) - 1;
                float* xi = window.Cover(n, t0 * Mr / G.Wo, qLast / G.Wo + halo + 1);
                for (int k0 = 0; k0 < kdim; k0 += PixelKc)
                {
                    int kc = Math.Min(PixelKc, kdim - k0);
                    for (int t = t0; t < t1; t++) PackPixels(G, xi, t * Mr, k0, kc, zero, pa + (long)(t - t0) * Mr * kc);
                    for (int t = t0; t < t1; t++)
                    for (int jp = 0; jp < panels; jp++)
                        Run(Mr, kc, pa + (long)(t - t0) * Mr * kc, new PackedRows(wt + (long)k0 * G.K + jp * Nr, G.K),
                            ct + (long)(t - t0) * Mr * G.K + jp * Nr, G.K, 1f, k0 == 0 ? 0f : 1f);
                }
                int q0 = t0 * Mr;
                HostGemm.Transpose(ct, G.K, y + n * yImg + q0, G.OutSpatial, Math.Min(G.OutSpatial, t1 * Mr) - q0, G.K);
            }
        });
    }

    /// <summary>Rows [k0, k0 + kc) of the GEMM panel of output pixels q0 .. q0 + 11 (<see cref="HostGemmKernels512"/>'s A:
    /// panel[(p - k0) 12 + r] = pixel r's input float p, p = tap-major t C + c) from the channels-last padded image xi: per
    /// tap the block covers, the 12 pixels' contiguous channels transposed 8 and 4 rows at a time; pixels past the image's
    /// last read the caller's row of zeros (their outputs are dropped).</summary>
    static void PackPixels(in Conv2dGeom g, float* xi, int q0, int k0, int kc, float* zero, float* panel)
    {
        int C = g.C, wp = DirectConv.PaddedW(g);
        float** px = stackalloc float*[Mr];
        float** r = stackalloc float*[Mr];
        for (int i = 0; i < Mr; i++)
            px[i] = q0 + i < g.OutSpatial ? xi + ((long)((q0 + i) / g.Wo) * wp + (q0 + i) % g.Wo) * C : null;
        for (int p = k0, end = k0 + kc; p < end;)
        {
            int t = p / C, c = p - t * C, n = Math.Min(C - c, end - p);
            long tap = ((long)(t / g.Kw) * g.Dil * wp + (t % g.Kw) * g.Dil) * C + c;
            for (int i = 0; i < Mr; i++) r[i] = px[i] == null ? zero : px[i] + tap;
            HostGemm.TransposeRows(r, Mr, n, panel, Mr);
            panel += (long)n * Mr;
            p += n;
        }
    }

    /// <summary>One grid tile: c (TR.Count pixels x 32 channels, row stride ldc) = sum over p of x[pixel r][off[p]] b[p ldb ..].
    /// The pixels are TC.Count floats apart (the channel count, a constant, so each broadcast is a fixed displacement). Up
    /// to 14 rows: 28 accumulators, the two weight vectors and the broadcast in 31 of the 32 zmm registers (no spills,
    /// checked with DOTNET_JitDisasm).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    static void Tile<TR, TC>(int kdim, float* a, int* off, float* b, int ldb, float* c, int ldc)
        where TR : struct, ITileCount where TC : struct, ITileCount
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        Vector512<float> c120 = default, c121 = default, c130 = default, c131 = default;
        int S = TC.Count;
        for (int p = 0; p < kdim; p++, b += ldb)
        {
            float* ap = a + off[p];
            var b0 = Avx512F.LoadVector512(b);
            var b1 = Avx512F.LoadVector512(b + 16);
            { var v = Vector512.Create(ap[0]); c00 = Avx512F.FusedMultiplyAdd(v, b0, c00); c01 = Avx512F.FusedMultiplyAdd(v, b1, c01); }
            { var v = Vector512.Create(ap[S]); c10 = Avx512F.FusedMultiplyAdd(v, b0, c10); c11 = Avx512F.FusedMultiplyAdd(v, b1, c11); }
            { var v = Vector512.Create(ap[2 * S]); c20 = Avx512F.FusedMultiplyAdd(v, b0, c20); c21 = Avx512F.FusedMultiplyAdd(v, b1, c21); }
            { var v = Vector512.Create(ap[3 * S]); c30 = Avx512F.FusedMultiplyAdd(v, b0, c30); c31 = Avx512F.FusedMultiplyAdd(v, b1, c31); }
            { var v = Vector512.Create(ap[4 * S]); c40 = Avx512F.FusedMultiplyAdd(v, b0, c40); c41 = Avx512F.FusedMultiplyAdd(v, b1, c41); }
            { var v = Vector512.Create(ap[5 * S]); c50 = Avx512F.FusedMultiplyAdd(v, b0, c50); c51 = Avx512F.FusedMultiplyAdd(v, b1, c51); }
            { var v = Vector512.Create(ap[6 * S]); c60 = Avx512F.FusedMultiplyAdd(v, b0, c60); c61 = Avx512F.FusedMultiplyAdd(v, b1, c61); }
            { var v = Vector512.Create(ap[7 * S]); c70 = Avx512F.FusedMultiplyAdd(v, b0, c70); c71 = Avx512F.FusedMultiplyAdd(v, b1, c71); }
            if (TR.Count > 8) { var v = Vector512.Create(ap[8 * S]); c80 = Avx512F.FusedMultiplyAdd(v, b0, c80); c81 = Avx512F.FusedMultiplyAdd(v, b1, c81); }
            if (TR.Count > 9) { var v = Vector512.Create(ap[9 * S]); c90 = Avx512F.FusedMultiplyAdd(v, b0, c90); c91 = Avx512F.FusedMultiplyAdd(v, b1, c91); }
            if (TR.Count > 10) { var v = Vector512.Create(ap[10 * S]); c100 = Avx512F.FusedMultiplyAdd(v, b0, c100); c101 = Avx512F.FusedMultiplyAdd(v, b1, c101); }
            if (TR.Count > 11) { var v = Vector512.Create(ap[11 * S]); c110 = Avx512F.FusedMultiplyAdd(v, b0, c110); c111 = Avx512F.FusedMultiplyAdd(v, b1, c111); }
            if (TR.Count > 12) { var v = Vector512.Create(ap[12 * S]); c120 = Avx512F.FusedMultiplyAdd(v, b0, c120); c121 = Avx512F.FusedMultiplyAdd(v, b1, c121); }
            if (TR.Count > 13) { var v = Vector512.Create(ap[13 * S]); c130 = Avx512F.FusedMultiplyAdd(v, b0, c130); c131 = Avx512F.FusedMultiplyAdd(v, b1, c131); }
        }
        long ld = ldc;
        Store(c + 0 * ld, c00, c01);
        Store(c + 1 * ld, c10, c11);
        Store(c + 2 * ld, c20, c21);
        Store(c + 3 * ld, c30, c31);
        Store(c + 4 * ld, c40, c41);
        Store(c + 5 * ld, c50, c51);
        Store(c + 6 * ld, c60, c61);
        Store(c + 7 * ld, c70, c71);
        if (TR.Count > 8) Store(c + 8 * ld, c80, c81);
        if (TR.Count > 9) Store(c + 9 * ld, c90, c91);
        if (TR.Count > 10) Store(c + 10 * ld, c100, c101);
        if (TR.Count > 11) Store(c + 11 * ld, c110, c111);
        if (TR.Count > 12) Store(c + 12 * ld, c120, c121);
        if (TR.Count > 13) Store(c + 13 * ld, c130, c131);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store(float* cr, Vector512<float> lo, Vector512<float> hi)
        {
            Avx512F.Store(cr, lo);
            Avx512F.Store(cr + 16, hi);
        }
    }
}
