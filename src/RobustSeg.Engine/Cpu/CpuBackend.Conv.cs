using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace RobustSeg.Engine.Cpu;

/// <summary>Host convolution on <see cref="HostGemm"/>. Forward and the data gradient are batched GEMMs
/// (enough images run one per core); the weight gradient sums images in a fixed order inside one GEMM (<see cref="HostGemm.SgemmSum"/>);
/// 1x1 stride-1 unpadded convs use the input as the column matrix; wide "same" 3x3 stride-1 convs run as Winograd
/// F(2x2, 3x3) (<see cref="Winograd"/>, forward and, as the flipped convolution, the data gradient), and stride-1 convs
/// whose taps mostly read padding, with 1024 or more channels, from a channel-blocked input through their live taps
/// only (<see cref="LiveTapConv"/>, the same two), otherwise one GEMM per tap over its live rectangle (<see cref="TapConv"/>, the same two); stride-1 convs with few output channels read B in
/// place from a padded copy (<see cref="DirectConv"/>, forward and, as the flipped convolution, the data gradient);
/// otherwise forward and weight gradient pack the GEMM's B panels straight from the image (<see cref="ImplicitCols"/>:
/// no column matrix in memory), and the data gradient computes column blocks (<see cref="Backend.ConvBlocks"/> under the smaller of
/// <see cref="Backend.ConvColumnBudget"/> and <see cref="HostColBlock"/>) and adds them back by rows (col2im).</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Most floats of a data-gradient column block on the host (16 MB): whole images for the backbone's
    /// 3x3 convs, blocks of rows for the head's 4096-channel 3x3 (whose column matrix is 124 MB at 29x29), so the
    /// transient does not set the process's peak memory.</summary>
    const long HostColBlock = 1L << 22;

    public override void Conv2dForward(in Conv2dGeom g, Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        Device.Kernels.Count("conv2d_fwd");
        var G = g;
        float* px = x.Ptr, pw = w.Ptr, py = y.Ptr;
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial;
        if (g.IsPointwise)
        {
            HostGemm.SgemmBatched(g.N, false, false, g.K, g.OutSpatial, g.C, 1f, pw, g.C, 0, px, g.InSpatial, xImg, 0f, py, g.OutSpatial, yImg);
        }
        else if (UsesChannelsLast(g))
        {
            ChannelsLastForward(g, px, pw, false, py);
        }
        else if (UsesWinograd(g))
        {
            WinogradForward(g, px, pw, false, py);
        }
        else if (UsesLiveTaps(g))
        {
            LiveTapForward(g, px, pw, false, py);
        }
        else if (UsesTapConv(g))
        {
            TapRun(g, px, pw, false, py);
        }
        else if (UsesDirect(g))
        {
            DirectForward(g, px, pw, py);
        }
        else
        {
            PackedForward(g, px, pw, py);
        }
        if (bias is not null)
        {
            float* pb = bias.Ptr;
            int k = g.K, sp = g.OutSpatial;
            HostParallel.For((long)g.N * k, Math.Max(1, MinElems / sp), (s, e) =>
            {
                for (long pl = s; pl < e; pl++) { var row = S(py, pl * sp, (pl + 1) * sp); TensorPrimitives.Add(row, pb[pl % k], row); }
            });
        }
    }

    /// <summary>Forces the channels-last forward (<see cref="ChannelsLastConv"/>, also the data gradient's) on (true, where it
    /// applies) or off (false); null chooses by <see cref="ChannelsLastConv.Pays"/>. Tests set it to reach every path.</summary>
    public static bool? UseChannelsLastConv { get; set; }

    /// <summary>Channels-last where it pays, unless a test forces it off or forces another path on.</summary>
    static bool UsesChannelsLast(in Conv2dGeom g) =>
        UseChannelsLastConv is { } force ? force && ChannelsLastConv.Applies(g)
        : UseWinograd != true && UseTapConv != true && UseDirectConv != true && UseLiveTapConv != true && ChannelsLastConv.Pays(g);

    /// <summary>Forces the live-tap forward (<see cref="LiveTapConv"/>) on (true, where it applies) or off (false); null
    /// chooses by <see cref="LiveTapConv.Pays"/>. Tests set it to reach every path.</summary>
    public static bool? UseLiveTapConv { get; set; }

    static bool UsesLiveTaps(in Conv2dGeom g) =>
        UseLiveTapConv is { } force ? force && LiveTapConv.Applies(g) : LiveTapConv.Pays(g);

    /// <summary>y = conv(x, w) through <see cref="LiveTapConv"/>: the input blocked and the weight packed first; flipped: w
    /// is the weight of the conv whose data gradient g is.</summary>
    void LiveTapForward(in Conv2dGeom g, float* px, float* pw, bool flipped, float* py)
    {
        using var xb = Tensor.Empty(Device, checked((int)((long)g.N * g.C * g.InSpatial)));
        using var wp = Tensor.Empty(Device, checked(g.K * g.ColRows));
        LiveTapConv.BlockInput(g, px, xb.Ptr);
        LiveTapConv.PackWeight(g, pw, flipped, wp.Ptr);
        LiveTapConv.Forward(g, xb.Ptr, wp.Ptr, py);
    }

    /// <summary>y = conv(x, w) through <see cref="ChannelsLastConv"/>; flipped: w is the weight of the conv whose data
    /// gradient g is (<see cref="ChannelsLastConv.PackWeight"/> reads its flipped transpose in place).</summary>
    void ChannelsLastForward(in Conv2dGeom g, float* px, float* pw, bool flipped, float* py)
    {
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial;
        using var wt = Tensor.Empty(Device, g.K * g.ColRows);
        using var off = ChannelsLastConv.PixelTiles(g) ? null : Tensor.EmptyInt(Device, g.ColRows);
        ChannelsLastConv.PackWeight(g, pw, flipped, wt.Ptr);
        if (off is not null) ChannelsLastConv.Offsets(g, off.IntPtr);
        ChannelsLastConv.Forward(g, px, xImg, g.N, wt.Ptr, off is null ? null : off.IntPtr, py, yImg);
    }

    /// <summary>y = conv(x, w) with the GEMM's B panels packed straight from the image (<see cref="ImplicitCols"/>), in
    /// bands of output rows, each over its live kernel rows only (one band: the whole conv).</summary>
    void PackedForward(in Conv2dGeom g, float* px, float* pw, float* py)
    {
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial;
        foreach (var b in ConvRowBands.Of(g) ?? ConvRowBands.Whole(g))
        {
            var gb = ConvRowBands.Geometry(g, b);
            float* yb = py + (long)b.Oh0 * g.Wo;
            int pixels = (b.Oh1 - b.Oh0) * g.Wo;
            if (gb.Kh == 0)
            {
                ClearRows(g, py, (long)g.N * g.K, b.Oh0, b.Oh1);
                continue;
            }
            using var wb = BandWeight(g, b, pw);
            HostGemm.SgemmBatched(g.N, false, false, g.K, pixels, gb.ColRows, 1f, wb is null ? pw : wb.Ptr, gb.ColRows, 0,
                new ImplicitCols(px, gb, b.Oh0, ConvRowBands.PadH(g, b)), xImg, 0f, yb, g.OutSpatial, yImg);
        }
    }

    /// <summary>Output rows [R0, R1) of planes consecutive output planes from y on set to 0 (a band no kernel row reaches,
    /// a tap convolution's part before its first tap).</summary>
    static void ClearRows(in Conv2dGeom g, float* y, long planes, int R0, int R1)
    {
        for (long k = 0; k < planes; k++) new Span<float>(y + k * g.OutSpatial + (long)R0 * g.Wo, (R1 - R0) * g.Wo).Clear();
    }

    /// <summary>Forces the weight gradient's columns read from the padded grid (true) or not (false); null chooses by
    /// <see cref="WeightGradColumns"/>. Tests set it to reach every path.</summary>
    public static bool? UseDirectWeightGrad { get; set; }

    /// <summary>Forces the weight gradient's columns read from the padded image at the real pixels
    /// (<see cref="DirectConv.AtPixels"/>) on (true) or off (false: the padded grid where it pays, else gathered output row
    /// by output row) where the padded grid is not forced; null chooses by <see cref="DirectConv.ReadsPixelTaps"/>. Tests
    /// set it to reach every path.</summary>
    public static bool? UsePixelTapWeightGrad { get; set; }

    /// <summary>Where a host weight gradient's columns come from.</summary>
    public enum WeightColumns { PaddedGrid, Pointwise, PixelTaps, Gathered, ChannelsLast, Taps }

    /// <summary>Forces the channels-last weight gradient (<see cref="HostGemm.WeightGradChannelsLast"/>) on (true) or off
    /// (false) where it applies; null chooses by <see cref="WeightGradColumns"/>. Tests and benchmarks set it.</summary>
    public static bool? UseChannelsLastWeightGrad { get; set; }

    /// <summary>The weight gradient's columns for g: tap by tap where most taps read padding (<see cref="TapConv.PaysWeightGrad"/>),
    /// channels-last where it pays (<see cref="HostGemm.ChannelsLastPays"/>),
    /// else the padded image at the real pixels wherever it applies (where the
    /// padded grid applied too it was as fast or faster: 1.1-1.3x on 32-64-channel 3x3s at 33x33 and 17x17, both SIMD
    /// paths, paired on Zen 5, with no extra columns and no spread dy), else the padded grid where it pays (rows under
    /// 8 wide), the input itself for a 1x1, the gathered columns otherwise; the switches above and
    /// <see cref="UseTapConv"/> force a path.</summary>
    public static WeightColumns WeightGradColumns(in Conv2dGeom g)
    {
        bool columnsForced = UseDirectWeightGrad is not null || UsePixelTapWeightGrad is not null;
        // Tap GEMMs where most taps read padding (UseTapConv forcing them too), unless a test forces another path: ASPP's
        // rate 12 and 18 at 29x29 0.71 and 0.55 of the gathered columns' time, paired on Zen 5; rate 6 (74 % of the taps
        // live) 0.94 since the taps run in one region.
        bool taps = UseTapConv is { } forceTaps ? forceTaps && TapConv.Applies(g) : TapConv.PaysWeightGrad(g);
        if (UseChannelsLastWeightGrad is null && !columnsForced && taps)
            return WeightColumns.Taps;
        // Then channels-last where it pays, unless a test forces another path.
        if (UseChannelsLastWeightGrad is { } cl ? cl && HostGemm.ChannelsLastApplies(g) : !columnsForced && HostGemm.ChannelsLastPays(g))
            return WeightColumns.ChannelsLast;
        bool pixels = UsePixelTapWeightGrad is { } p ? p && DirectConv.ReadsPixelTaps(g) : DirectConv.ReadsPixelTaps(g);
        if (UseDirectWeightGrad is { } force ? force && DirectConv.Applies(g) : !pixels && DirectConv.PaysWeight(g))
            return WeightColumns.PaddedGrid;
        if (g.IsPointwise) return WeightColumns.Pointwise;
        return pixels ? WeightColumns.PixelTaps : WeightColumns.Gathered;
    }

    /// <summary>dW through <see cref="HostGemm.SgemmSumTaps"/>: groups of images padded and summed in image order, the
    /// output gradients spread on the padded grid and the taps read as rows, or (atPixels) the output gradients as they
    /// are and the taps read at the real pixels.</summary>
    void PaddedWeightGrad(in Conv2dGeom g, float* px, float* pdy, float* pdw, bool atPixels)
    {
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial;
        long xpImg = DirectConv.ImageFloatsOf(g), dyvImg = atPixels ? 0 : (long)g.K * DirectConv.PixelsOf(g);
        // Scratch under 16M floats a group on the padded grid, 4M at the real pixels (its images are at most 1M each).
        int group = (int)Math.Clamp((atPixels ? 1L << 22 : 1L << 24) / (xpImg + dyvImg), 1, g.N);
        using var xp = Tensor.Empty(Device, checked((int)(group * xpImg + DirectConv.Slack)));
        using var dyv = atPixels ? null : Tensor.Empty(Device, checked((int)(group * dyvImg)));
        using var off = TapOffsets(g);
        int* po = off.IntPtr;
        for (int n0 = 0; n0 < g.N; n0 += group)
        {
            int gi = Math.Min(group, g.N - n0);
            DirectConv.Pad(g, px + n0 * xImg, xImg, gi, xp.Ptr);
            float beta = n0 == 0 ? 0f : 1f;   // later groups add to the sum so far: the same per-image order as one call
            if (atPixels)
            {
                HostGemm.SgemmSumTaps(gi, g.K, g.ColRows, 1f, pdy + n0 * yImg, g.OutSpatial, yImg,
                    DirectConv.AtPixels(xp.Ptr, po, g), beta, pdw, g.ColRows);
                continue;
            }
            DirectConv.Spread(g, pdy + n0 * yImg, yImg, gi, dyv!.Ptr);
            HostGemm.SgemmSumTaps(gi, g.K, g.ColRows, 1f, dyv.Ptr, DirectConv.PixelsOf(g), dyvImg, new DirectConv(xp.Ptr, po, g),
                beta, pdw, g.ColRows);
        }
    }

    /// <summary>dW through <see cref="HostGemm.WeightGradChannelsLast"/>: the per-tap sums over every image (each core
    /// lays out its share of x and dy a row block at a time), then dW laid out from them.</summary>
    void ChannelsLastWeightGrad(in Conv2dGeom g, float* px, float* pdy, float* pdw)
    {
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial;
        using var wt = Tensor.Empty(Device, checked((int)HostGemm.ChannelsLastTapFloats(g)));
        HostGemm.WeightGradChannelsLast(g, g.N, px, xImg, pdy, yImg, wt.Ptr);
        TapConv.FromTapMajor(g, wt.Ptr, HostGemm.ChannelsLastTapRows(g), pdw);
    }

    /// <summary>The padded-image offset of each of g's C Kh Kw taps (<see cref="DirectConv.Offsets"/>), in a pooled int tensor.</summary>
    Tensor TapOffsets(in Conv2dGeom g)
    {
        var off = Tensor.EmptyInt(Device, g.ColRows);
        DirectConv.Offsets(g, off.IntPtr);
        return off;
    }

    /// <summary>Forces the direct stride-1 forward on (true) or off (false); null chooses by <see cref="DirectConv.Pays"/>.
    /// Tests set it to reach both paths.</summary>
    public static bool? UseDirectConv { get; set; }

    static bool UsesDirect(in Conv2dGeom g) => UseDirectConv is { } force ? force && DirectConv.Applies(g) : DirectConv.Pays(g);

    /// <summary>y = conv(x, w) for a stride-1 conv through <see cref="DirectConv"/>, a core's worth of images at a time
    /// (pad them, then one batched GEMM with whole images per core).</summary>
    void DirectForward(in Conv2dGeom g, float* px, float* pw, float* py)
    {
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial;
        int group = Math.Min(g.N, HostParallel.Cores);
        using var xp = Tensor.Empty(Device, checked((int)(group * DirectConv.ImageFloatsOf(g) + DirectConv.Slack)));
        using var off = TapOffsets(g);
        int* po = off.IntPtr;
        for (int n0 = 0; n0 < g.N; n0 += group)
        {
            int gi = Math.Min(group, g.N - n0);
            DirectConv.Pad(g, px + n0 * xImg, xImg, gi, xp.Ptr);
            HostGemm.SgemmDirect(gi, g.K, g.ColRows, 1f, pw, g.ColRows, 0, new DirectConv(xp.Ptr, po, g), 0f, py + n0 * yImg, g.OutSpatial, yImg);
        }
    }

    public override void Conv2dBackwardData(in Conv2dGeom g, Tensor dy, Tensor w, Tensor dx)
    {
        Device.Kernels.Count("conv2d_bwd_data");
        var G = g;
        float* pdy = dy.Ptr, pw = w.Ptr, pdx = dx.Ptr;
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial;
        if (g.IsPointwise)
        {
            HostGemm.SgemmBatched(g.N, true, false, g.C, g.OutSpatial, g.K, 1f, pw, g.C, 0, pdy, g.OutSpatial, yImg, 0f, pdx, g.InSpatial, xImg);
            return;
        }
        if (DirectConv.Transposed(g) is { } gt && ForwardOfDataGrad(g, gt) is var path and not ConvPath.Columns)
        {
            // dx = dy convolved with the flipped, transposed kernel: a forward conv, by Winograd, tap by tap, read in
            // place or packed straight from dy, so no column matrix (C Kh Kw x pixels, 124 MB for PSPNet's 4096-channel
            // head) is written, read and added. Tap t of that kernel is tap Kh Kw - 1 - t of w, transposed: Winograd's
            // weight transform, the tap GEMMs and the channels-last and live-tap weight packings read w so, the direct and packed paths
            // take a flipped copy.
            if (path == ConvPath.Winograd) { WinogradForward(gt, pdy, pw, true, pdx); return; }
            if (path == ConvPath.ChannelsLast) { ChannelsLastForward(gt, pdy, pw, true, pdx); return; }
            if (path == ConvPath.LiveTaps) { LiveTapForward(gt, pdy, pw, true, pdx); return; }
            if (path == ConvPath.Taps) { TapRun(gt, pdy, pw, true, pdx); return; }
            using var wt = Tensor.Empty(Device, w.Shape[1], w.Shape[0], w.Shape[2], w.Shape[3]);
            DirectConv.FlipTransposed(g, pw, wt.Ptr);
            if (path == ConvPath.Direct) DirectForward(gt, pdy, wt.Ptr, pdx);
            else PackedForward(gt, pdy, wt.Ptr, pdx);
            return;
        }
        Fill(dx, 0f);
        // Per band of output rows (ConvRowBands; one band: the whole conv), groups of whole images whose column matrices
        // fit the block (one batched GEMM, whole images per core, and one col2im over images x channels), or one image
        // in blocks of output rows.
        foreach (var b in ConvRowBands.Of(g) ?? ConvRowBands.Whole(g))
        {
            var gb = ConvRowBands.Geometry(g, b);
            if (gb.Kh == 0) continue;
            int padH = ConvRowBands.PadH(g, b);
            using var wb = BandWeight(g, b, pw);
            float* pwb = wb is null ? pw : wb.Ptr;
            var (group, rb) = ConvBlocks(gb with { Ho = b.Oh1 - b.Oh0 }, Math.Min(ConvColumnBudget, HostColBlock));
            long block = (long)gb.ColRows * rb * g.Wo;
            using var col = Tensor.Empty(Device, checked((int)(group * block)));
            float* pc = col.Ptr;
            for (int n0 = 0; n0 < g.N; n0 += group)
            for (int oh0 = b.Oh0; oh0 < b.Oh1; oh0 += rb)
            {
                int gi = Math.Min(group, g.N - n0), oh1 = Math.Min(b.Oh1, oh0 + rb), nc = (oh1 - oh0) * g.Wo;
                // dcol[n] (CKK × block) = Wᵀ · dy[n][:, block], then scattered back as row adds.
                HostGemm.SgemmBatched(gi, true, false, gb.ColRows, nc, g.K, 1f, pwb, gb.ColRows, 0L,
                    pdy + n0 * yImg + oh0 * g.Wo, g.OutSpatial, yImg, 0f, pc, nc, block);
                Col2imAdd(gb, padH, gi, pc, block, oh0, oh1, pdx + n0 * xImg, xImg);
            }
        }
    }

    /// <summary>How a stride-1 data gradient runs: as a forward conv gt of dy (channels-last, Winograd, live taps, tap GEMMs, direct or packed),
    /// or as column blocks and col2im.</summary>
    enum ConvPath { ChannelsLast, Winograd, LiveTaps, Taps, Direct, Packed, Columns }

    static ConvPath ForwardOfDataGrad(in Conv2dGeom g, in Conv2dGeom gt) =>
        UsesChannelsLast(gt) ? ConvPath.ChannelsLast
        : UsesWinograd(gt, dataGradient: true) ? ConvPath.Winograd
        : UsesLiveTaps(gt) ? ConvPath.LiveTaps
        : UsesTapConv(gt, dataGradient: true) ? ConvPath.Taps
        : UsesDirect(gt) ? ConvPath.Direct
        : PacksTransposed(g) ? ConvPath.Packed
        : ConvPath.Columns;

    /// <summary>Whether a stride-1 data gradient should run as the forward of dy with the flipped, transposed kernel packed
    /// straight from dy, rather than column blocks and col2im. Packing dy costs K Kh Kw x pixels per task. It pays where C
    /// is the larger (the heads' 4096->512, 1024->256: 290 -> 235 ms for the first at 29x29), and at C = K on AVX-512
    /// (32-column panels gathered with masked loads) with an image per core and 256 or more channels: 3-5 % faster at
    /// rates 2 and 4, 17x17 and 29x29, batch 2-8; and at 128 channels where C >= K: 0.75-0.76 of col2im's time at rate 2,
    /// 17x17, batch 2 and 4 (Ice Lake), where Zen had measured it slower (where Winograd applies it is taken first). One image (the column path's large-M GEMM split
    /// over the cores), 64 -> 128 and 128 -> 256 channels (0.99-1.03) and the AVX2 path's gather (3-24 % slower) keep
    /// col2im (paired runs alternating in one process).</summary>
    static bool PacksTransposed(in Conv2dGeom g) =>
        g.C >= 2 * g.K || (g.N >= HostParallel.Cores && HostSimd.Current == HostSimdPath.Avx512 && (g.C >= 256 || g.C >= 128 && g.C >= g.K));

    /// <summary>Band b's weight rows as a contiguous copy, or null when the band runs every kernel row (the weight itself).</summary>
    Tensor? BandWeight(in Conv2dGeom g, in ConvRowBand b, float* pw)
    {
        int rows = b.Kh1 - b.Kh0;
        if (rows == g.Kh) return null;
        var t = Tensor.Empty(Device, g.K * g.C * rows * g.Kw);
        ConvRowBands.NarrowRows(g, pw, b, t.Ptr);
        return t;
    }

    public override void Conv2dBackwardWeight(in Conv2dGeom g, Tensor x, Tensor dy, Tensor dw)
    {
        Device.Kernels.Count("conv2d_bwd_weight");
        var G = g;
        float* px = x.Ptr, pdy = dy.Ptr, pdw = dw.Ptr;
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial;
        // dW (K × CKK) = sum over images of dy[n] · col[n]ᵀ, images in a fixed order (deterministic), in one parallel region.
        var path = WeightGradColumns(g);
        if (path == WeightColumns.PaddedGrid)
            PaddedWeightGrad(g, px, pdy, pdw, atPixels: false);
        else if (path == WeightColumns.Pointwise)
            HostGemm.SgemmSum(g.N, false, true, g.K, g.C, g.OutSpatial, 1f, pdy, g.OutSpatial, yImg, px, g.InSpatial, xImg, 0f, pdw, g.C);
        else if (path == WeightColumns.PixelTaps)
            PaddedWeightGrad(g, px, pdy, pdw, atPixels: true);
        else if (path == WeightColumns.ChannelsLast)
            ChannelsLastWeightGrad(g, px, pdy, pdw);
        else if (path == WeightColumns.Taps)
            TapWeightGrad(g, px, pdy, pdw);
        else
            HostGemm.SgemmSum(g.N, false, true, g.K, g.ColRows, g.OutSpatial, 1f, pdy, g.OutSpatial, yImg,
                new ImplicitCols(px, G, 0), xImg, 0f, pdw, g.ColRows);
    }

    /// <summary>Adds column blocks (output rows [oh0, oh1); padH the top padding, see ConvRowBands) back into the gradients of images images, image i's
    /// block at col + i colImg and its gradient at dx + i xImg; parallel over (image, input channel) so no two tasks
    /// touch the same plane, and a fixed (ki, kj, oh) order (deterministic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Col2imAdd(Conv2dGeom g, int padH, int images, float* col0, long colImg, int oh0, int oh1, float* dx0, long xImg)
    {
        int nc = (oh1 - oh0) * g.Wo;
        int kk = g.Kh * g.Kw;
        HostParallel.For((long)images * g.C, Math.Max(1, (1 << 15) / Math.Max(1, (long)nc * kk)), (s, e) =>
        {
            for (long ic = s; ic < e; ic++)
            {
                long img = ic / g.C, c = ic % g.C;
                float* col = col0 + img * colImg, dx = dx0 + img * xImg;
                float* xc = dx + c * g.InSpatial;
                for (int ki = 0; ki < g.Kh; ki++)
                for (int kj = 0; kj < g.Kw; kj++)
                {
                    var (lo, hi) = ImplicitCols.ValidCols(g.W, g.Wo, kj * g.Dil - g.Pad, g.Stride);
                    if (lo >= hi) continue;
                    int off = kj * g.Dil - g.Pad;
                    float* src = col + ((c * g.Kh + ki) * g.Kw + kj) * nc;
                    for (int oh = oh0; oh < oh1; oh++, src += g.Wo)
                    {
                        int ih = oh * g.Stride - padH + ki * g.Dil;
                        if (ih < 0 || ih >= g.H) continue;
                        float* dst = xc + (long)ih * g.W + off;
                        if (g.Stride == 1)
                        {
                            var d = new Span<float>(dst + lo, hi - lo);
                            TensorPrimitives.Add(d, new ReadOnlySpan<float>(src + lo, hi - lo), d);
                        }
                        else for (int ow = lo; ow < hi; ow++) dst[(long)ow * g.Stride] += src[ow];
                    }
                }
            }
        });
    }
}
