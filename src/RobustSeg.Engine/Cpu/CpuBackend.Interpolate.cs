using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>Separable bilinear resize on the host. Forward: each needed input row is resampled along W
/// (AVX2 gathers), then output rows are blends of two such rows (SIMD over the row). Backward, the
/// transpose in gather form: each input row sums its contributing dy rows (SIMD), then each input
/// column sums its contributing columns. Work is split over (plane, row block), never scattered.</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Runs body(plane, rowStart, rowEnd, scratch) over planes split into row blocks so that
    /// a few large planes still use every core.</summary>
    static void ForPlaneRows(int planes, int rows, long workPerRow, int scratchFloats, Action<int, int, int, IntPtr> body)
    {
        int blocks = planes >= 2 * HostParallel.Cores ? 1 : Math.Min(rows, (2 * HostParallel.Cores + planes - 1) / planes);
        int units = planes * blocks;
        long workPerUnit = Math.Max(1, workPerRow * ((rows + blocks - 1) / blocks));
        HostParallel.For(units, Math.Max(1, MinElems / workPerUnit), (s, e) =>
        {
            var arr = ArrayPool<float>.Shared.Rent(Math.Max(1, scratchFloats));
            try
            {
                fixed (float* scratch = arr)
                    for (long u = s; u < e; u++)
                    {
                        int p = (int)(u / blocks), b = (int)(u % blocks);
                        int r0 = (int)((long)b * rows / blocks), r1 = (int)((long)(b + 1) * rows / blocks);
                        if (r0 < r1) body(p, r0, r1, (IntPtr)scratch);
                    }
            }
            finally { ArrayPool<float>.Shared.Return(arr); }
        });
    }

    public override void InterpolateBilinear(Tensor x, Tensor y, int planes, int h, int w, int outH, int outW)
    {
        var th = BilinearAxis.Get(h, outH);
        var tw = BilinearAxis.Get(w, outW);
        float* px = x.Ptr, py = y.Ptr;
        ForPlaneRows(planes, outH, outW, h * outW, (p, o0, o1, scratch) =>
            ForwardRows(px + (long)p * h * w, py + (long)p * outH * outW, (float*)scratch, w, outW, o0, o1, th, tw));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ForwardRows(float* x, float* y, float* tmp, int w, int ow, int o0, int o1, BilinearAxis th, BilinearAxis tw)
    {
        int r0 = th.I0[o0], r1 = th.I1[o1 - 1];
        for (int r = r0; r <= r1; r++) ResampleRow(x + (long)r * w, tmp + (long)(r - r0) * ow, ow, tw);
        for (int o = o0; o < o1; o++)
            Blend(tmp + (long)(th.I0[o] - r0) * ow, tmp + (long)(th.I1[o] - r0) * ow, th.W0[o], th.W1[o], y + (long)o * ow, ow);
    }

    /// <summary>t[j] = W0[j]*x[I0[j]] + W1[j]*x[I1[j]] (the kernel's per-row formula).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ResampleRow(float* x, float* t, int ow, BilinearAxis tw)
    {
        int j = 0;
        if (Avx2.IsSupported)
            for (; j + 8 <= ow; j += 8)
            {
                var a = Gather8.At(x, tw.I0 + j);
                var b = Gather8.At(x, tw.I1 + j);
                Avx.Store(t + j, Avx.Add(Avx.Multiply(Avx.LoadVector256(tw.W0 + j), a), Avx.Multiply(Avx.LoadVector256(tw.W1 + j), b)));
            }
        for (; j < ow; j++) t[j] = tw.W0[j] * x[tw.I0[j]] + tw.W1[j] * x[tw.I1[j]];
    }

    /// <summary>y = a*t0 + b*t1 over a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Blend(float* t0, float* t1, float a, float b, float* y, int n)
    {
        int j = 0;
        var va = Vector256.Create(a); var vb = Vector256.Create(b);
        for (; j + 16 <= n; j += 16)
        {
            Vector256.Store(va * Vector256.Load(t0 + j) + vb * Vector256.Load(t1 + j), y + j);
            Vector256.Store(va * Vector256.Load(t0 + j + 8) + vb * Vector256.Load(t1 + j + 8), y + j + 8);
        }
        for (; j + 8 <= n; j += 8) Vector256.Store(va * Vector256.Load(t0 + j) + vb * Vector256.Load(t1 + j), y + j);
        for (; j < n; j++) y[j] = a * t0[j] + b * t1[j];
    }

    public override void InterpolateBilinearBackward(Tensor dy, Tensor dx, int planes, int h, int w, int outH, int outW)
    {
        var th = BilinearAxis.Get(h, outH);
        var tw = BilinearAxis.Get(w, outW);
        float* pdy = dy.Ptr, pdx = dx.Ptr;
        long perRow = (long)outW * Math.Max(1, outH / Math.Max(1, h)) + w;
        ForPlaneRows(planes, h, perRow, outW, (p, r0, r1, scratch) =>
            BackwardRows(pdy + (long)p * outH * outW, pdx + (long)p * h * w, (float*)scratch, w, outW, r0, r1, th, tw));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void BackwardRows(float* dy, float* dx, float* t, int w, int ow, int r0, int r1, BilinearAxis th, BilinearAxis tw)
    {
        for (int r = r0; r < r1; r++)
        {
            float* dxr = dx + (long)r * w;
            int len = th.Len[r];
            if (len == 0) { new Span<float>(dxr, w).Clear(); continue; }
            GatherRows(dy + (long)th.Lo[r] * ow, ow, th.Wt + th.Off[r], len, t);
            for (int c = 0; c < w; c++)
            {
                float* tc = t + tw.Lo[c];
                float* wc = tw.Wt + tw.Off[c];
                int n = tw.Len[c];
                float acc = 0f;
                for (int k = 0; k < n; k++) acc += wc[k] * tc[k];
                dxr[c] = acc;
            }
        }
    }

    /// <summary>t[j] = sum_k wt[k] * rows[k*ld + j] (rows in order), register-blocked over j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void GatherRows(float* rows, int ld, float* wt, int len, float* t)
    {
        int j = 0;
        for (; j + 32 <= ld; j += 32)
        {
            var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
            float* r = rows + j;
            for (int k = 0; k < len; k++, r += ld)
            {
                var v = Vector256.Create(wt[k]);
                a0 += v * Vector256.Load(r); a1 += v * Vector256.Load(r + 8);
                a2 += v * Vector256.Load(r + 16); a3 += v * Vector256.Load(r + 24);
            }
            Vector256.Store(a0, t + j); Vector256.Store(a1, t + j + 8); Vector256.Store(a2, t + j + 16); Vector256.Store(a3, t + j + 24);
        }
        for (; j + 8 <= ld; j += 8)
        {
            var a0 = Vector256<float>.Zero;
            float* r = rows + j;
            for (int k = 0; k < len; k++, r += ld) a0 += Vector256.Create(wt[k]) * Vector256.Load(r);
            Vector256.Store(a0, t + j);
        }
        for (; j < ld; j++)
        {
            float acc = 0f;
            for (int k = 0; k < len; k++) acc += wt[k] * rows[(long)k * ld + j];
            t[j] = acc;
        }
    }
}
