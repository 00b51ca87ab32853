namespace RobustSeg.Engine.Cpu;

/// <summary>The driver of <see cref="TapConv"/>: one GEMM per tap over its live rectangle, in tap order (deterministic).</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Forces the tap GEMMs on (true, where they apply) or off (false); null chooses by <see cref="TapConv.Pays"/>.
    /// Tests set it to reach both paths.</summary>
    public static bool? UseTapConv { get; set; }

    static bool UsesTapConv(in Conv2dGeom g, bool dataGradient = false) =>
        UseTapConv is { } force ? force && TapConv.Applies(g) : TapConv.Pays(g, dataGradient);

    /// <summary>y = conv(x, w) for a stride-1 conv g, tap by tap, in one parallel region: each task owns a part of an
    /// image's output (as many parts per image as give every core the same number of tasks) and runs every tap over it
    /// with one-part GEMMs, so its output stays in its core's cache from tap to tap and no tap waits for the others. A part
    /// is a band of output rows (<see cref="TapConv.RowCuts"/>: each task reads all of a tap's weight and packs its rows'
    /// columns) or, where there are more output channels than pixels (a data gradient into 2048 channels), a block of
    /// channels (each task reads its channels' weight and packs all the columns; in row bands there, ASPP's data
    /// gradients took 1.04-1.23x the time). Before, one region per tap with the GEMM's parts cut afresh each time moved the
    /// output from core to core and ended every tap in a wait: ASPP 2048->256 at 29x29 takes 0.87 of that time for rate
    /// 12's data gradient, 0.95 for rate 18's forward, 0.98-1.0 for the others (paired, Zen 5; AVX2 0.94-1.01). Every
    /// output's taps are summed in the same order whatever the parts (see <see cref="TapPart"/>), so the bits do not
    /// depend on the core count. The weight is packed for every tap's GEMM first (<see cref="TapConv.PackTaps"/>); flipped:
    /// w is the weight of the conv whose data gradient g is, and tap t of g is its tap taps - 1 - t transposed.</summary>
    void TapRun(in Conv2dGeom g, float* px, float* pw, bool flipped, float* py)
    {
        var sh = HostGemm.ShapeFor(HostSimd.Current, g.K);
        using var packed = Tensor.Empty(Device, checked((int)(g.Kh * g.Kw * new PackedA(null, sh, g.K, g.C).Floats)));
        var wt = TapConv.PackTaps(g, pw, flipped, sh, packed.Ptr);
        var G = g;
        int per = HostParallel.PartsPerImage(g.N);
        bool byChannels = g.K > g.OutSpatial;
        int[] cuts = byChannels ? Cuts(g.K, per, 24) :   // 24: whole tiles of 6, 8 and 12 rows
            TapConv.RowCuts(g, Math.Min(per, g.Ho));
        int parts = cuts.Length - 1;
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial;
        HostParallel.Each(g.N * parts, t =>
        {
            int n = t / parts, b = t % parts;
            var (r0, r1, k0, k1) = byChannels ? (0, G.Ho, cuts[b], cuts[b + 1]) : (cuts[b], cuts[b + 1], 0, G.K);
            TapPart(G, px + n * xImg, wt, py + n * yImg, r0, r1, k0, k1);
        });
    }

    /// <summary>[0, n) cut into parts of about equal size at multiples of align (whole tiles).</summary>
    static int[] Cuts(int n, int parts, int align)
    {
        var cuts = new int[parts + 1];
        for (int p = 1; p < parts; p++) cuts[p] = Math.Min(n, (int)Math.Round((double)n * p / parts / align) * align);
        cuts[parts] = n;
        return cuts;
    }

    /// <summary>Output rows [R0, R1) of channels [K0, K1) of one image, tap by tap: the taps whose rectangle is the whole
    /// output first, so the first of them writes the part (beta 0) and no fill is needed, then the others into their
    /// rectangle's rows here (the GEMM's window C, <see cref="HostGemm.SgemmPackedA"/>; through a scratch and an added
    /// window before, 10 % of ASPP rate 6's data gradient). The order is the whole output's, whatever the part.</summary>
    static void TapPart(in Conv2dGeom g, float* x, in PackedA wt, float* y, int R0, int R1, int K0, int K1)
    {
        if (R0 >= R1 || K0 >= K1) return;
        int m = K1 - K0, panel0 = K0 / wt.Shape.Mr;
        y += (long)K0 * g.OutSpatial;
        bool written = false;
        foreach (bool whole in new[] { true, false })
        for (int ki = 0; ki < g.Kh; ki++)
        for (int kj = 0; kj < g.Kw; kj++)
        {
            var (r0, r1, c0, c1) = TapConv.Live(g, ki, kj);
            int pixels = (r1 - r0) * (c1 - c0);
            if (pixels == 0 || (pixels == g.OutSpatial) != whole) continue;
            int a0 = Math.Max(r0, R0), a1 = Math.Min(r1, R1);
            if (a0 >= a1) continue;
            if (!whole && !written) { ClearRows(g, y, m, R0, R1); written = true; }
            var a = wt.Next(ki * g.Kw + kj);
            var cols = TapConv.Window(x, g, ki, kj, a0, a1);
            if (whole)
                HostGemm.SgemmPackedA(a, panel0, m, (a1 - a0) * g.Wo, 1f, cols, written ? 1f : 0f, y + (long)a0 * g.Wo, g.OutSpatial);
            else
                HostGemm.SgemmPackedA(a, panel0, m, (a1 - a0) * (c1 - c0), 1f, cols, 1f, y + (long)a0 * g.Wo + c0, g.OutSpatial,
                    c1 - c0, g.Wo);
            written = true;
        }
        if (!written) ClearRows(g, y, m, R0, R1);
    }

    /// <summary>dW for a stride-1 conv, tap by tap: dW[:, :, ki, kj] (K x C) = sum over images, in order, of dy[n] on the
    /// tap's live rectangle times the tap's window of x[n] (<see cref="TapConv.Window"/>) transposed, so no tap's padding
    /// is multiplied; a rectangle smaller than the output has its dy copied contiguous first. The taps' GEMMs write
    /// separate blocks, so they run in one parallel region, each tap cut into as many column blocks (input channels) as
    /// there are cores and each task one-part GEMMs; against one region per tap, ASPP 2048->256 at 29x29 rate 12 0.97
    /// and rate 18 0.995 of the time (paired, Zen 5; AVX2 rate 12 0.93).</summary>
    void TapWeightGrad(in Conv2dGeom g, float* px, float* pdy, float* pdw)
    {
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial, kc = (long)g.K * g.C;
        int taps = g.Kh * g.Kw;
        using var wt = Tensor.Empty(Device, checked((int)(taps * kc)));
        var G = g;
        var dev = Device;
        float* pw = wt.Ptr;
        int[] cuts = Cuts(g.C, HostParallel.Cores, 32);   // 32: whole AVX-512 and AVX2 column panels
        int parts = cuts.Length - 1;
        HostParallel.Each(taps * parts, task =>
        {
            int t = task / parts, q0 = cuts[task % parts], q1 = cuts[task % parts + 1];
            if (q0 >= q1) return;
            var (r0, r1, c0, c1) = TapConv.Live(G, t / G.Kw, t % G.Kw);
            int pixels = (r1 - r0) * (c1 - c0);
            float* dst = pw + t * kc + q0;
            if (pixels == 0)
            {
                for (int k = 0; k < G.K; k++) new Span<float>(dst + (long)k * G.C, q1 - q0).Clear();
                return;
            }
            // A partial tap's dy rectangles, every image's, copied contiguous by each of its tasks (a copy is 1 / C of the
            // task's multiply-adds; one copy of every tap's rectangles at once would hold them all).
            using var rect = pixels < G.OutSpatial ? Tensor.Empty(dev, checked((int)((long)G.N * G.K * pixels))) : null;
            if (rect is not null)
                TapConv.CopyWindow(pdy, yImg, rect.Ptr, (long)G.K * pixels, G.N, G.K, r0, r1 - r0, c0, c1 - c0, G.Wo, G.OutSpatial);
            HostGemm.SgemmSum(G.N, false, true, G.K, q1 - q0, pixels, 1f, rect is null ? pdy : rect.Ptr, pixels,
                rect is null ? yImg : (long)G.K * pixels, TapConv.Window(px + (long)q0 * G.InSpatial, G, t / G.Kw, t % G.Kw), xImg,
                0f, dst, G.C);
        });
        TapConv.FromTapMajor(g, wt.Ptr, g.K, pdw);
    }
}
