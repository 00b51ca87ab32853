namespace RobustSeg.Engine.Cpu;

/// <summary>The driver of <see cref="TapConv"/>: one GEMM per tap over its live rectangle, in tap order (deterministic).</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Forces the tap GEMMs on (true, where they apply) or off (false); null chooses by <see cref="TapConv.Pays"/>.
    /// Tests set it to reach both paths.</summary>
    public static bool? UseTapConv { get; set; }

    static bool UsesTapConv(in Conv2dGeom g, bool dataGradient = false) =>
        UseTapConv is { } force ? force && TapConv.Applies(g) : TapConv.Pays(g, dataGradient);

    /// <summary>y = conv(x, w) for a stride-1 conv, tap by tap (<see cref="TapRun"/> on the weight made tap-major).</summary>
    void TapForward(in Conv2dGeom g, float* px, float* pw, float* py)
    {
        using var wt = Tensor.Empty(Device, checked(g.Kh * g.Kw * g.K * g.C));
        TapConv.TapMajor(g, pw, wt.Ptr);
        TapRun(g, px, wt.Ptr, false, py);
    }

    /// <summary>y = conv(x, ·) for a stride-1 conv g, tap by tap: a tap whose rectangle is the whole output accumulates
    /// straight into y (the first one writes it), the others into their rectangle of y (<see cref="HostGemm.SgemmBatchedWindow"/>;
    /// through a scratch and an added window before, 10 % of ASPP rate 6's data gradient). Tap t's weight is
    /// the K x C matrix at wt + t K C; flipped: wt holds the tap-major weight of the conv whose data gradient g is
    /// (C x K per tap, taps in reverse order), used transposed, so the flipped kernel is never copied.</summary>
    void TapRun(in Conv2dGeom g, float* px, float* wt, bool flipped, float* py)
    {
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial, kc = (long)g.K * g.C;
        int taps = g.Kh * g.Kw;
        bool written = false;
        // Whole-output taps first, so the first of them writes y (beta 0) and no fill is needed.
        foreach (bool whole in new[] { true, false })
        for (int ki = 0; ki < g.Kh; ki++)
        for (int kj = 0; kj < g.Kw; kj++)
        {
            var (r0, r1, c0, c1) = TapConv.Live(g, ki, kj);
            int pixels = (r1 - r0) * (c1 - c0);
            if (pixels == 0 || (pixels == g.OutSpatial) != whole) continue;
            if (!whole && !written) { Fill(g.N * yImg, py, 0f); written = true; }
            int t = ki * g.Kw + kj;
            float* a = wt + (flipped ? taps - 1 - t : t) * kc;
            int lda = flipped ? g.K : g.C;
            var cols = TapConv.Window(px, g, ki, kj);
            if (whole)
                HostGemm.SgemmBatched(g.N, flipped, false, g.K, pixels, g.C, 1f, a, lda, 0, cols, xImg, written ? 1f : 0f, py, g.OutSpatial, yImg);
            else
                HostGemm.SgemmBatchedWindow(g.N, flipped, g.K, pixels, g.C, 1f, a, lda, 0, cols, xImg, 1f,
                    py + (long)r0 * g.Wo + c0, g.OutSpatial, yImg, c1 - c0, g.Wo);
            written = true;
        }
        if (!written) Fill(g.N * yImg, py, 0f);
    }

    /// <summary>dW for a stride-1 conv, tap by tap: dW[:, :, ki, kj] (K x C) = sum over images, in order, of dy[n] on the
    /// tap's live rectangle times the tap's window of x[n] (<see cref="TapConv.Window"/>) transposed, so no tap's padding
    /// is multiplied; a rectangle smaller than the output has its dy copied contiguous first.</summary>
    void TapWeightGrad(in Conv2dGeom g, float* px, float* pdy, float* pdw)
    {
        long xImg = (long)g.C * g.InSpatial, yImg = (long)g.K * g.OutSpatial, kc = (long)g.K * g.C;
        using var wt = Tensor.Empty(Device, checked((int)(g.Kh * g.Kw * kc)));
        using var rect = Tensor.Empty(Device, checked((int)(g.N * g.K * (long)TapConv.MaxPartialPixels(g))));
        for (int ki = 0; ki < g.Kh; ki++)
        for (int kj = 0; kj < g.Kw; kj++)
        {
            var (r0, r1, c0, c1) = TapConv.Live(g, ki, kj);
            int pixels = (r1 - r0) * (c1 - c0);
            float* dst = wt.Ptr + (ki * g.Kw + kj) * kc;
            if (pixels == 0) { Fill(kc, dst, 0f); continue; }
            float* a = pdy;
            long strideA = yImg;
            if (pixels < g.OutSpatial)
            {
                strideA = (long)g.K * pixels;
                TapConv.CopyWindow(pdy, yImg, rect.Ptr, strideA, g.N, g.K, r0, r1 - r0, c0, c1 - c0, g.Wo, g.OutSpatial);
                a = rect.Ptr;
            }
            HostGemm.SgemmSum(g.N, false, true, g.K, g.C, pixels, 1f, a, pixels, strideA, TapConv.Window(px, g, ki, kj), xImg, 0f, dst, g.C);
        }
        TapConv.FromTapMajor(g, wt.Ptr, g.K, pdw);
    }
}
