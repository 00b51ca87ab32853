using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace RobustSeg.Engine.Cpu;

/// <summary>Softmax, log-softmax and fused cross-entropy on the host: pixels in blocks of 256 along the
/// contiguous spatial axis, channel loops as TensorPrimitives calls over a block (SIMD across pixels).
/// Same formulas and association as SoftmaxKernels.</summary>
public sealed unsafe partial class CpuBackend
{
    const int PixBlock = 256;

    /// <summary>Runs body(x offset of the block's first channel, pixel offset (n*s + s0), length) over
    /// every pixel block of (n, c, s).</summary>
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

    static Span<float> Row(float* p, long off, int len) => new(p + off, len);

    /// <summary>m = max over channels, sum = sum of exp(x - m); tmp is scratch of len.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MaxSumExp(float* x, long xo, int c, int s, int len, Span<float> m, Span<float> sum, Span<float> tmp)
    {
        Row(x, xo, len).CopyTo(m);
        for (int k = 1; k < c; k++) TensorPrimitives.Max(m, Row(x, xo + (long)k * s, len), m);
        sum.Clear();
        for (int k = 0; k < c; k++)
        {
            TensorPrimitives.Subtract(Row(x, xo + (long)k * s, len), m, tmp);
            TensorPrimitives.Exp(tmp, tmp);
            TensorPrimitives.Add(sum, tmp, sum);
        }
    }

    public override void Softmax(Tensor x, Tensor y, bool log, int n, int c, int s)
    {
        float* px = x.Ptr, py = y.Ptr;
        ForPixelBlocks(n, c, s, (xo, _, len) =>
        {
            Span<float> m = stackalloc float[len], sum = stackalloc float[len];
            Row(px, xo, len).CopyTo(m);
            for (int k = 1; k < c; k++) TensorPrimitives.Max(m, Row(px, xo + (long)k * s, len), m);
            sum.Clear();
            for (int k = 0; k < c; k++)
            {
                var yk = Row(py, xo + (long)k * s, len);
                TensorPrimitives.Subtract(Row(px, xo + (long)k * s, len), m, yk);
                TensorPrimitives.Exp(yk, yk);
                TensorPrimitives.Add(sum, yk, sum);
            }
            if (!log)
                for (int k = 0; k < c; k++) { var yk = Row(py, xo + (long)k * s, len); TensorPrimitives.Divide(yk, sum, yk); }
            else
            {
                TensorPrimitives.Log(sum, sum);
                for (int k = 0; k < c; k++)
                {
                    var yk = Row(py, xo + (long)k * s, len);
                    TensorPrimitives.Subtract(Row(px, xo + (long)k * s, len), m, yk);
                    TensorPrimitives.Subtract(yk, sum, yk);
                }
            }
        });
    }

    public override void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log, int n, int c, int s)
    {
        float* py = y.Ptr, pdy = dy.Ptr, pdx = dx.Ptr;
        ForPixelBlocks(n, c, s, (xo, _, len) =>
        {
            Span<float> dot = stackalloc float[len], tmp = stackalloc float[len];
            dot.Clear();
            for (int k = 0; k < c; k++)
            {
                var dyk = Row(pdy, xo + (long)k * s, len);
                if (log) TensorPrimitives.Add(dot, dyk, dot);
                else { TensorPrimitives.Multiply(dyk, Row(py, xo + (long)k * s, len), tmp); TensorPrimitives.Add(dot, tmp, dot); }
            }
            for (int k = 0; k < c; k++)
            {
                var yk = Row(py, xo + (long)k * s, len); var dyk = Row(pdy, xo + (long)k * s, len); var dxk = Row(pdx, xo + (long)k * s, len);
                if (log)
                {
                    TensorPrimitives.Exp(yk, tmp);
                    TensorPrimitives.Multiply(tmp, dot, tmp);
                    TensorPrimitives.Subtract(dyk, tmp, dxk);
                }
                else
                {
                    TensorPrimitives.Subtract(dyk, dot, tmp);
                    TensorPrimitives.Multiply(yk, tmp, dxk);
                }
            }
        });
    }

    public override void CrossEntropyForward(Tensor logits, Tensor labels, Tensor loss, Tensor flags, int n, int k, int s, int ignoreIndex)
    {
        float* px = logits.Ptr, pl = loss.Ptr, pf = flags.Ptr; int* lab = labels.IntPtr;
        long pixels = (long)n * s;
        ForPixelBlocks(n, k, s, (xo, po, len) =>
        {
            Span<float> m = stackalloc float[len], sum = stackalloc float[len], tmp = stackalloc float[len];
            MaxSumExp(px, xo, k, s, len, m, sum, tmp);
            TensorPrimitives.Log(sum, sum);
            for (int q = 0; q < len; q++)
            {
                int l = lab[po + q];
                float v = 0f, valid = 0f, bad = 0f;
                if (l != ignoreIndex)
                {
                    if (l < 0 || l >= k) bad = 1f;
                    else { v = sum[q] - (px[xo + (long)l * s + q] - m[q]); valid = 1f; }
                }
                pl[po + q] = v; pf[po + q] = valid; pf[pixels + po + q] = bad;
            }
        });
    }

    public override void CrossEntropyBackward(Tensor logits, Tensor labels, Tensor dy, bool dyPerPixel, float scale, Tensor dx,
        int n, int k, int s, int ignoreIndex)
    {
        float* px = logits.Ptr, pdy = dy.Ptr, pdx = dx.Ptr; int* lab = labels.IntPtr;
        ForPixelBlocks(n, k, s, (xo, po, len) =>
        {
            Span<float> m = stackalloc float[len], sum = stackalloc float[len], tmp = stackalloc float[len], coef = stackalloc float[len];
            bool any = false;
            for (int q = 0; q < len; q++)
            {
                int l = lab[po + q];
                bool counted = l != ignoreIndex && l >= 0 && l < k;
                coef[q] = counted ? scale * (dyPerPixel ? pdy[po + q] : pdy[0]) : 0f;
                any |= counted;
            }
            if (!any) { for (int c = 0; c < k; c++) Row(pdx, xo + (long)c * s, len).Clear(); return; }
            MaxSumExp(px, xo, k, s, len, m, sum, tmp);
            for (int c = 0; c < k; c++)
            {
                var dxc = Row(pdx, xo + (long)c * s, len);
                TensorPrimitives.Subtract(Row(px, xo + (long)c * s, len), m, dxc);
                TensorPrimitives.Exp(dxc, dxc);
                TensorPrimitives.Divide(dxc, sum, dxc);
                TensorPrimitives.Multiply(dxc, coef, dxc);
            }
            for (int q = 0; q < len; q++)
            {
                int l = lab[po + q];
                if (l == ignoreIndex || l < 0 || l >= k)
                    for (int c = 0; c < k; c++) pdx[xo + (long)c * s + q] = 0f; // exactly 0, even next to inf/NaN logits
                else pdx[xo + (long)l * s + q] -= coef[q];
            }
        });
    }
}
