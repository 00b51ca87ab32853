using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RobustSeg.Engine.Cpu;

/// <summary>Softmax, log-softmax and fused cross-entropy on the host. Pixels run in strips of 8 along the
/// contiguous spatial axis (one Vector256 lane per pixel), looping over channels with stride S, so each
/// strip's max, exp-sum and outputs stay in registers and L1; the exp is <see cref="HostExp"/>. Leftover
/// pixels use the kernels' scalar formulas (SoftmaxKernels).</summary>
public sealed unsafe partial class CpuBackend
{
    const int PixBlock = 256;

    /// <summary>Runs body(x offset of the block's first channel, pixel offset (n*s + s0), length) over
    /// every pixel block of (n, c, s), in parallel.</summary>
    static void ForPixelBlocks(int n, int c, int s, Action<long, long, int> body)
    {
        int blocks = (s + PixBlock - 1) / PixBlock;
        HostParallel.For((long)n * blocks, Math.Max(1, MinElems / ((long)PixBlock * c)), (a, e) =>
        {
            for (long u = a; u < e; u++)
            {
                long b = u / blocks; int s0 = (int)(u % blocks) * PixBlock;
                body(b * c * s + s0, b * s + s0, Math.Min(PixBlock, s - s0));
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Ld(float* p) => Vector256.Load(p);

    /// <summary>Channel max and sum of exp(x - max) of the 8 pixels at x (channel stride s); with e, each channel k's
    /// exp(x - max) is kept at e[k].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector256<float> Max, Vector256<float> Sum) MaxSumExp8(float* x, int c, int s, Vector256<float>* e = null)
    {
        var m = Ld(x);
        for (int k = 1; k < c; k++) m = Vector256.Max(m, Ld(x + (long)k * s));
        var sum = Vector256<float>.Zero;
        for (int k = 0; k < c; k++)
        {
            var v = HostExp.Exp(Ld(x + (long)k * s) - m);
            if (e != null) e[k] = v;
            sum += v;
        }
        return (m, sum);
    }

    /// <summary>Most classes whose exps a strip keeps on the stack (32 KB).</summary>
    const int MaxKeptClasses = 1024;

    /// <summary>The scalar version (leftover pixels), as in the kernels.</summary>
    static (float Max, float Sum) MaxSumExp1(float* x, int c, int s)
    {
        float m = x[0];
        for (int k = 1; k < c; k++) { float v = x[(long)k * s]; if (v > m || float.IsNaN(v)) m = v; }
        float sum = 0f;
        for (int k = 0; k < c; k++) sum += MathF.Exp(x[(long)k * s] - m);
        return (m, sum);
    }

    static Vector256<float> Log8(Vector256<float> v)
    {
        float* t = stackalloc float[8];
        v.Store(t);
        for (int i = 0; i < 8; i++) t[i] = MathF.Log(t[i]);
        return Vector256.Load(t);
    }

    public override void Softmax(Tensor x, Tensor y, bool log, int n, int c, int s)
    {
        float* px = x.Ptr, py = y.Ptr;
        ForPixelBlocks(n, c, s, (xo, _, len) => SoftmaxBlock(px + xo, py + xo, c, s, len, log));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SoftmaxBlock(float* x, float* y, int c, int s, int len, bool log)
    {
        int q = 0;
        for (; q + 8 <= len; q += 8)
        {
            float* xq = x + q, yq = y + q;
            var (m, sum) = MaxSumExp8(xq, c, s);
            if (log)
            {
                var ls = Log8(sum);
                for (int k = 0; k < c; k++) Vector256.Store(Ld(xq + (long)k * s) - m - ls, yq + (long)k * s);
            }
            else
                for (int k = 0; k < c; k++) Vector256.Store(HostExp.Exp(Ld(xq + (long)k * s) - m) / sum, yq + (long)k * s);
        }
        for (; q < len; q++)
        {
            float* xq = x + q, yq = y + q;
            var (m, sum) = MaxSumExp1(xq, c, s);
            float ls = MathF.Log(sum);
            for (int k = 0; k < c; k++)
            {
                long o = (long)k * s;
                yq[o] = log ? (xq[o] - m) - ls : MathF.Exp(xq[o] - m) / sum;
            }
        }
    }

    public override void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log, int n, int c, int s)
    {
        float* py = y.Ptr, pdy = dy.Ptr, pdx = dx.Ptr;
        ForPixelBlocks(n, c, s, (xo, _, len) => SoftmaxGradBlock(py + xo, pdy + xo, pdx + xo, c, s, len, log));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SoftmaxGradBlock(float* y, float* dy, float* dx, int c, int s, int len, bool log)
    {
        int q = 0;
        for (; q + 8 <= len; q += 8)
        {
            var dot = Vector256<float>.Zero;
            for (int k = 0; k < c; k++)
            {
                long o = (long)k * s + q;
                dot += log ? Ld(dy + o) : Ld(dy + o) * Ld(y + o);
            }
            for (int k = 0; k < c; k++)
            {
                long o = (long)k * s + q;
                Vector256.Store(log ? Ld(dy + o) - HostExp.Exp(Ld(y + o)) * dot : Ld(y + o) * (Ld(dy + o) - dot), dx + o);
            }
        }
        for (; q < len; q++)
        {
            float dot = 0f;
            for (int k = 0; k < c; k++) { long o = (long)k * s + q; dot += log ? dy[o] : dy[o] * y[o]; }
            for (int k = 0; k < c; k++)
            {
                long o = (long)k * s + q;
                dx[o] = log ? dy[o] - MathF.Exp(y[o]) * dot : y[o] * (dy[o] - dot);
            }
        }
    }

    public override void CrossEntropyForward(Tensor logits, Tensor labels, Tensor loss, Tensor flags, int n, int k, int s, int ignoreIndex)
    {
        float* px = logits.Ptr, pl = loss.Ptr, pf = flags.Ptr; int* lab = labels.IntPtr;
        long pixels = (long)n * s;
        ForPixelBlocks(n, k, s, (xo, po, len) =>
            CrossEntropyBlock(px + xo, lab + po, pl + po, pf + po, pf + pixels + po, k, s, len, ignoreIndex));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void CrossEntropyBlock(float* x, int* lab, float* loss, float* valid, float* bad, int k, int s, int len, int ignore)
    {
        float* m8 = stackalloc float[8];
        float* ls8 = stackalloc float[8];
        for (int q0 = 0; q0 < len; q0 += 8)
        {
            int width = Math.Min(8, len - q0);
            if (width == 8)
            {
                var (m, sum) = MaxSumExp8(x + q0, k, s);
                m.Store(m8);
                sum.Store(ls8);
            }
            else
                for (int i = 0; i < width; i++) (m8[i], ls8[i]) = MaxSumExp1(x + q0 + i, k, s);
            for (int i = 0; i < width; i++)
            {
                int q = q0 + i, l = lab[q];
                float v = 0f, ok = 0f, no = 0f;
                if (l != ignore)
                {
                    if (l < 0 || l >= k) no = 1f;
                    else { v = MathF.Log(ls8[i]) - (x[(long)l * s + q] - m8[i]); ok = 1f; }
                }
                loss[q] = v; valid[q] = ok; bad[q] = no;
            }
        }
    }

    public override void CrossEntropyBackward(Tensor logits, Tensor labels, Tensor dy, bool dyPerPixel, float scale, Tensor dx,
        int n, int k, int s, int ignoreIndex)
    {
        float* px = logits.Ptr, pdy = dy.Ptr, pdx = dx.Ptr; int* lab = labels.IntPtr;
        ForPixelBlocks(n, k, s, (xo, po, len) =>
            CrossEntropyGradBlock(px + xo, lab + po, dyPerPixel ? pdy + po : pdy, dyPerPixel, scale, pdx + xo, k, s, len, ignoreIndex));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void CrossEntropyGradBlock(float* x, int* lab, float* dy, bool perPixel, float scale, float* dx, int k, int s, int len, int ignore)
    {
        float* coef8 = stackalloc float[8];
        int* lab8 = stackalloc int[8];
        // The strip's exp(x - max), kept from the sum for the gradient (one exp per logit, not two); up to 1024 classes,
        // past that (kept null) computed again.
        Vector256<float>* e8 = stackalloc Vector256<float>[Math.Min(k, MaxKeptClasses)];
        Vector256<float>* kept = k <= MaxKeptClasses ? e8 : null;
        for (int q0 = 0; q0 < len; q0 += 8)
        {
            int width = Math.Min(8, len - q0);
            bool any = false;
            for (int i = 0; i < 8; i++)
            {
                int l = i < width ? lab[q0 + i] : ignore;
                bool counted = l != ignore && l >= 0 && l < k;
                coef8[i] = counted ? scale * (perPixel ? dy[q0 + i] : dy[0]) : 0f;
                lab8[i] = counted ? l : -1; // -1 matches no channel: ignored pixels get exactly 0 below
                any |= counted;
            }
            if (width == 8)
            {
                float* xq = x + q0, dq = dx + q0;
                if (!any)
                {
                    for (int c = 0; c < k; c++) Vector256.Store(Vector256<float>.Zero, dq + (long)c * s);
                    continue;
                }
                var (m, sum) = MaxSumExp8(xq, k, s, kept);
                var coef = Vector256.Load(coef8);
                var labv = Vector256.Load(lab8);
                var counted = Vector256.GreaterThanOrEqual(labv, Vector256<int>.Zero).AsSingle();
                for (int c = 0; c < k; c++)
                {
                    long o = (long)c * s;
                    var g = (kept != null ? kept[c] : HostExp.Exp(Ld(xq + o) - m)) / sum * coef;
                    g -= Vector256.ConditionalSelect(Vector256.Equals(labv, Vector256.Create(c)).AsSingle(), coef, Vector256<float>.Zero);
                    Vector256.Store(Vector256.ConditionalSelect(counted, g, Vector256<float>.Zero), dq + o);
                }
                continue;
            }
            for (int i = 0; i < width; i++)
            {
                int q = q0 + i, l = lab8[i];
                if (l < 0) { for (int c = 0; c < k; c++) dx[(long)c * s + q] = 0f; continue; }
                var (m, sum) = MaxSumExp1(x + q, k, s);
                float cf = coef8[i];
                for (int c = 0; c < k; c++)
                {
                    long o = (long)c * s + q;
                    dx[o] = MathF.Exp(x[o] - m) / sum * cf - (c == l ? cf : 0f);
                }
            }
        }
    }
}
