using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RobustSeg.Kernels;

namespace RobustSeg.Engine.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Pooling on the host: a plane per work item, the kernels' accumulation order (their loops, index arithmetic
    // shared through PoolKernels' helpers; max pooling's backward is a scatter that adds in the same order). Plane
    // bodies are static methods so the AggressiveOptimization flag reaches the loops (it does not apply to lambdas).

    static long PlanesPerTask(in PoolGeometry g) => Math.Max(1, MinElems / Math.Max(1, g.H * g.W));

    public override void MaxPool2d(Tensor x, Tensor y, Tensor indices, in PoolGeometry g)
    {
        Device.Kernels.Count("max_pool2d");
        float* px = x.Ptr, py = y.Ptr; int* pi = indices.IntPtr;
        var q = g;
        HostParallel.For(q.Planes, PlanesPerTask(q), (st, e) =>
        {
            for (long p = st; p < e; p++)
                MaxPoolPlane(px + p * q.H * q.W, py + p * q.OH * q.OW, pi + p * q.OH * q.OW, q);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MaxPoolPlane(float* xp, float* yp, int* ip, in PoolGeometry q)
    {
        // Windows wholly inside the row run 8 outputs at a time (gathers and blends: a data-dependent branch per tap
        // mispredicts about every other time on real activations); the rest one by one, the same comparisons.
        int owLo = Math.Min(q.OW, (q.Padding + q.Stride - 1) / q.Stride);
        int owHi = Math.Max(owLo, Math.Min(q.OW, q.W - q.Kernel + q.Padding < 0 ? 0 : (q.W - q.Kernel + q.Padding) / q.Stride + 1));
        bool simd = Avx2.IsSupported;
        for (int oh = 0; oh < q.OH; oh++)
        {
            int h0 = oh * q.Stride - q.Padding, h1 = Math.Min(h0 + q.Kernel, q.H);
            h0 = Math.Max(h0, 0);
            int ow = 0;
            for (; ow < owLo; ow++) MaxPoolWindow(xp, yp, ip, q, oh, ow, h0, h1);
            if (simd && owHi - ow >= 8)
            {
                for (; ow + 8 <= owHi; ow += 8) MaxPoolWindows8(xp, yp, ip, q, oh, ow, h0, h1);
                // The last inside windows as one more group ending at owHi, overlapping the one before (its outputs
                // written again, the same values), not one by one.
                if (ow < owHi) { MaxPoolWindows8(xp, yp, ip, q, oh, owHi - 8, h0, h1); ow = owHi; }
            }
            for (; ow < q.OW; ow++) MaxPoolWindow(xp, yp, ip, q, oh, ow, h0, h1);
        }
    }

    /// <summary>Output (oh, ow): the first maximum in (h, w) order; a NaN wins (and a later NaN over an earlier one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void MaxPoolWindow(float* xp, float* yp, int* ip, in PoolGeometry q, int oh, int ow, int h0, int h1)
    {
        int w0 = ow * q.Stride - q.Padding, w1 = Math.Min(w0 + q.Kernel, q.W);
        w0 = Math.Max(w0, 0);
        int best = h0 * q.W + w0;
        float bv = float.NegativeInfinity;
        for (int h = h0; h < h1; h++)
        {
            float* row = xp + h * q.W;
            for (int w = w0; w < w1; w++)
            {
                float v = row[w];
                if (v > bv || float.IsNaN(v)) { bv = v; best = h * q.W + w; }
            }
        }
        yp[oh * q.OW + ow] = bv;
        ip[oh * q.OW + ow] = best;
    }

    /// <summary>Outputs (oh, ow .. ow + 7), windows wholly inside the row: <see cref="MaxPoolWindow"/>'s comparisons as lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void MaxPoolWindows8(float* xp, float* yp, int* ip, in PoolGeometry q, int oh, int ow, int h0, int h1)
    {
        var w0 = (Vector256.Create(ow) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7)) * q.Stride - Vector256.Create(q.Padding);
        var best = Vector256.Create(h0 * q.W) + w0;
        var bv = Vector256.Create(float.NegativeInfinity);
        for (int h = h0; h < h1; h++)
        {
            float* row = xp + h * q.W;
            for (int kw = 0; kw < q.Kernel; kw++)
            {
                var w = w0 + Vector256.Create(kw);
                var v = Taps8(row, w, q.Stride, q.W);
                var take = Avx.Or(Avx.CompareGreaterThan(v, bv), Avx.CompareUnordered(v, v));
                bv = Avx.BlendVariable(bv, v, take);
                best = Avx.BlendVariable(best.AsSingle(), (Vector256.Create(h * q.W) + w).AsSingle(), take).AsInt32();
            }
        }
        Avx.Store(yp + oh * q.OW + ow, bv);
        Avx.Store(ip + oh * q.OW + ow, best);
    }

    /// <summary>row[w[0]], ..., row[w[7]], the lanes' columns stride apart: stride 1 one load, stride 2 the even floats of
    /// two loads (where the second stays inside the row), else eight scalar loads (extracting each column from the index
    /// vector had cost most of a 3x3 stride-2 pooling's time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Taps8(float* row, Vector256<int> w, int stride, int width)
    {
        int c0 = w.ToScalar();
        if (stride == 1) return Avx.LoadVector256(row + c0);
        if (stride == 2 && c0 + 16 <= width)
        {
            var evens = Avx.Shuffle(Avx.LoadVector256(row + c0), Avx.LoadVector256(row + c0 + 8), 0x88);
            return Avx2.Permute4x64(evens.AsDouble(), 0xD8).AsSingle();
        }
        return Gather8.At(row, w);
    }

    public override void MaxPool2dBackward(Tensor dy, Tensor indices, Tensor dx, in PoolGeometry g)
    {
        Device.Kernels.Count("max_pool2d_backward");
        float* pdy = dy.Ptr, pdx = dx.Ptr; int* pi = indices.IntPtr;
        var q = g;
        HostParallel.For(q.Planes, PlanesPerTask(q), (st, e) =>
        {
            for (long p = st; p < e; p++)
                MaxPoolBackPlane(pdy + p * q.OH * q.OW, pi + p * q.OH * q.OW, pdx + p * q.H * q.W, q);
        });
    }

    /// <summary>Scatters each output's gradient to its argmax. Outputs are visited in (oh, ow) order, the order in
    /// which the kernel's gather over a pixel's windows adds them, so every sum is the same.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MaxPoolBackPlane(float* gp, int* ip, float* dp, in PoolGeometry q)
    {
        new Span<float>(dp, q.H * q.W).Clear();
        int n = q.OH * q.OW;
        for (int o = 0; o < n; o++) dp[ip[o]] += gp[o];
    }

    public override void AdaptiveAvgPool2d(Tensor x, Tensor y, in PoolGeometry g)
    {
        Device.Kernels.Count("adaptive_avg_pool2d");
        float* px = x.Ptr, py = y.Ptr;
        var q = g;
        HostParallel.For(q.Planes, PlanesPerTask(q), (st, e) =>
        {
            for (long p = st; p < e; p++) AdaptiveAvgPlane(px + p * q.H * q.W, py + p * q.OH * q.OW, q);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void AdaptiveAvgPlane(float* xp, float* yp, in PoolGeometry q)
    {
        for (int oh = 0; oh < q.OH; oh++)
        {
            int h0 = PoolKernels.BinStart(oh, q.H, q.OH), h1 = PoolKernels.BinEnd(oh, q.H, q.OH);
            for (int ow = 0; ow < q.OW; ow++)
            {
                int w0 = PoolKernels.BinStart(ow, q.W, q.OW), w1 = PoolKernels.BinEnd(ow, q.W, q.OW);
                float acc = 0f;
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++) acc += xp[h * q.W + w];
                yp[oh * q.OW + ow] = acc / ((h1 - h0) * (w1 - w0));
            }
        }
    }

    public override void AdaptiveAvgPool2dBackward(Tensor dy, Tensor dx, in PoolGeometry g)
    {
        Device.Kernels.Count("adaptive_avg_pool2d_backward");
        float* pdy = dy.Ptr, pdx = dx.Ptr;
        var q = g;
        HostParallel.For(q.Planes, PlanesPerTask(q), (st, e) =>
        {
            for (long p = st; p < e; p++) AdaptiveAvgBackPlane(pdy + p * q.OH * q.OW, pdx + p * q.H * q.W, q);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void AdaptiveAvgBackPlane(float* gp, float* dp, in PoolGeometry q)
    {
        // Bin by bin, in (oh, ow) order, each bin's share gp / area added over its rectangle: a pixel receives the shares of
        // the bins holding it in the order a per-pixel sum over (oh, ow) adds them, from +0, so the sums are that sum's
        // (one division per bin instead of per pixel: the per-pixel form cost 7 ms on DeepLabV3's 2048 x 29 x 29 pool).
        new Span<float>(dp, q.H * q.W).Clear();
        for (int oh = 0; oh < q.OH; oh++)
        {
            int h0 = PoolKernels.BinStart(oh, q.H, q.OH), h1 = PoolKernels.BinEnd(oh, q.H, q.OH);
            for (int ow = 0; ow < q.OW; ow++)
            {
                int w0 = PoolKernels.BinStart(ow, q.W, q.OW), w1 = PoolKernels.BinEnd(ow, q.W, q.OW);
                float share = gp[oh * q.OW + ow] / ((h1 - h0) * (w1 - w0));
                for (int h = h0; h < h1; h++)
                {
                    float* row = dp + (long)h * q.W;
                    for (int w = w0; w < w1; w++) row[w] += share;
                }
            }
        }
    }

    public override void Dropout2dMask(Tensor mask, ulong seed, float p, float scale)
    {
        Device.Kernels.Count("dropout2d_mask");
        float* pm = mask.Ptr;
        for (long j = 0; j < mask.Numel; j++) pm[j] = ElementwiseMath.HashUniform(seed, j) < p ? 0f : scale;
    }
}
