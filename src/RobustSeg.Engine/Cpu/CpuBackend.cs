using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using RobustSeg.Kernels;

namespace RobustSeg.Engine.Cpu;

/// <summary>The host path: plain C# with SIMD (TensorPrimitives, Vector) and Parallel.For, working
/// zero-copy on the CPU accelerator's buffers. Must compute the same formulas as the kernels
/// (ElementwiseMath is shared), checked against them on `ilgpu-cpu` in the tests.</summary>
public sealed unsafe partial class CpuBackend(Device device) : Backend(device)
{
    const long MinElems = 1 << 15;

    static Span<float> S(Tensor t) => new(t.Ptr, checked((int)t.Numel));
    static Span<int> SI(Tensor t) => new(t.IntPtr, checked((int)t.Numel));
    static Span<float> S(float* p, long s, long e) => new(p + s, (int)(e - s));

    public override void Fill(Tensor y, float value)
    {
        if (y.DType == DType.Int32) { SI(y).Fill((int)value); return; }
        Fill(y.Numel, y.Ptr, value);
    }

    /// <summary>n floats at p = value, in parallel.</summary>
    static void Fill(long n, float* p, float value) => HostParallel.For(n, MinElems * 4, (s, e) => S(p, s, e).Fill(value));

    public override void Copy(Tensor x, Tensor y)
    {
        float* px = x.Ptr, py = y.Ptr;
        HostParallel.For(x.Numel, MinElems * 4, (s, e) => S(px, s, e).CopyTo(S(py, s, e)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Unary(UnaryOp op, Tensor x, Tensor y, float p0 = 0, float p1 = 0)
    {
        float* px = x.Ptr, py = y.Ptr;
        HostParallel.For(x.Numel, MinElems, (s, e) =>
        {
            var xs = S(px, s, e); var ys = S(py, s, e);
            switch (op)
            {
                case UnaryOp.Relu: TensorPrimitives.Max(xs, 0f, ys); break;
                case UnaryOp.Exp: TensorPrimitives.Exp(xs, ys); break;
                case UnaryOp.Log: TensorPrimitives.Log(xs, ys); break;
                case UnaryOp.Clamp: TensorPrimitives.Min(xs, p1, ys); TensorPrimitives.Max(ys, p0, ys); break;
                case UnaryOp.Neg: TensorPrimitives.Negate(xs, ys); break;
                case UnaryOp.Abs: TensorPrimitives.Abs(xs, ys); break;
                case UnaryOp.Sqrt: TensorPrimitives.Sqrt(xs, ys); break;
                case UnaryOp.Affine: TensorPrimitives.Multiply(xs, p0, ys); TensorPrimitives.Add(ys, p1, ys); break;
                case UnaryOp.DivScalar: TensorPrimitives.Divide(xs, p0, ys); break;
                case UnaryOp.RDivScalar: TensorPrimitives.Divide(p0, xs, ys); break;
                case UnaryOp.Square: TensorPrimitives.Multiply(xs, xs, ys); break;
                case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(xs, ys); break;
                case UnaryOp.Tanh: TensorPrimitives.Tanh(xs, ys); break;
                default:
                    for (int i = 0; i < xs.Length; i++) ys[i] = ElementwiseMath.Unary(op, xs[i], p0, p1);
                    break;
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void UnaryGrad(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, float p0 = 0, float p1 = 0)
    {
        Device.Kernels.Count("UnaryGrad"); // the kernel's name: tests check batch norm's backward masks in place
        float* px = x.Ptr, py = y.Ptr, pdy = dy.Ptr, pdx = dx.Ptr;
        HostParallel.For(x.Numel, MinElems, (s, e) =>
        {
            switch (op)
            {
                case UnaryOp.Exp: TensorPrimitives.Multiply(S(pdy, s, e), S(py, s, e), S(pdx, s, e)); break;
                case UnaryOp.Affine: TensorPrimitives.Multiply(S(pdy, s, e), p0, S(pdx, s, e)); break;
                case UnaryOp.Relu: ReluGrad(px, pdy, pdx, s, e); break;
                default:
                    for (long i = s; i < e; i++) pdx[i] = ElementwiseMath.UnaryGrad(op, px[i], py[i], pdy[i], p0, p1);
                    break;
            }
        });
    }

    /// <summary>dx = x &lt;= 0 ? 0 : dy (ElementwiseMath.UnaryGrad's rule and PyTorch's: a NaN x passes dy), a vector at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ReluGrad(float* x, float* dy, float* dx, long s, long e)
    {
        long i = s;
        for (; i + Vector<float>.Count <= e; i += Vector<float>.Count)
        {
            var drop = Vector.LessThanOrEqual(Unsafe.ReadUnaligned<Vector<float>>(x + i), Vector<float>.Zero);
            Unsafe.WriteUnaligned(dx + i, Vector.ConditionalSelect(drop, Vector<float>.Zero, Unsafe.ReadUnaligned<Vector<float>>(dy + i)));
        }
        for (; i < e; i++) dx[i] = x[i] <= 0f ? 0f : dy[i];
    }

    public override void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y)
    {
        float* pa = a.Ptr, pb = b.Ptr, py = y.Ptr;
        HostParallel.For(a.Numel, MinElems, (s, e) =>
        {
            var xa = S(pa, s, e); var xb = S(pb, s, e); var ys = S(py, s, e);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(xa, xb, ys); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(xa, xb, ys); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(xa, xb, ys); break;
                case BinaryOp.Div: TensorPrimitives.Divide(xa, xb, ys); break;
                default: for (int i = 0; i < xa.Length; i++) ys[i] = ElementwiseMath.Binary(op, xa[i], xb[i]); break;
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Axpby(float a, Tensor x, float b, Tensor y, Tensor output)
    {
        float* px = x.Ptr, py = y.Ptr, po = output.Ptr;
        HostParallel.For(x.Numel, MinElems, (s, e) =>
        {
            // Vector lanes round a x, b y and their sum each as the scalar tail does (no FMA): the same bits.
            long i = s;
            if (Vector.IsHardwareAccelerated)
            {
                var va = new Vector<float>(a); var vb = new Vector<float>(b);
                for (; i + Vector<float>.Count <= e; i += Vector<float>.Count)
                    Vector.Store(va * Vector.Load(px + i) + vb * Vector.Load(py + i), po + i);
            }
            for (; i < e; i++) po[i] = a * px[i] + b * py[i];
        });
    }

    public override void SgdStep(Tensor p, Tensor grad, Tensor? buf, float lr, float momentum, float weightDecay, bool first)
    {
        float* pp = p.Ptr, pg = grad.Ptr, pb = buf is null ? null : buf.Ptr;
        HostParallel.For(p.Numel, MinElems, (s, e) => SgdRange(pp, pg, pb, s, e, -lr, momentum, weightDecay, first));
    }

    /// <summary><see cref="Backend.SgdStep"/> on [s, e): vector lanes round as the scalar tail does (no FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SgdRange(float* pp, float* pg, float* pb, long s, long e, float nlr, float m, float wd, bool first)
    {
        long i = s;
        if (Vector.IsHardwareAccelerated)
        {
            var vn = new Vector<float>(nlr); var vm = new Vector<float>(m); var vw = new Vector<float>(wd);
            for (; i + Vector<float>.Count <= e; i += Vector<float>.Count)
            {
                var p = Vector.Load(pp + i);
                var d = wd != 0f ? Vector.Load(pg + i) + vw * p : Vector.Load(pg + i);
                if (pb != null)
                {
                    d = first ? d : vm * Vector.Load(pb + i) + d;
                    Vector.Store(d, pb + i);
                }
                Vector.Store(p + vn * d, pp + i);
            }
        }
        for (; i < e; i++)
        {
            float p = pp[i], d = wd != 0f ? pg[i] + wd * p : pg[i];
            if (pb != null) pb[i] = d = first ? d : m * pb[i] + d;
            pp[i] = p + nlr * d;
        }
    }

    public override void Channel(BinaryOp op, Tensor x, Tensor v, Tensor y, int channels, int spatial)
    {
        float* px = x.Ptr, pv = v.Ptr, py = y.Ptr;
        long planes = x.Numel / spatial;
        HostParallel.For(planes, Math.Max(1, MinElems / spatial), (s, e) =>
        {
            for (long pl = s; pl < e; pl++)
            {
                float c = pv[pl % channels];
                var xs = S(px, pl * spatial, (pl + 1) * spatial); var ys = S(py, pl * spatial, (pl + 1) * spatial);
                switch (op)
                {
                    case BinaryOp.Add: TensorPrimitives.Add(xs, c, ys); break;
                    case BinaryOp.Mul: TensorPrimitives.Multiply(xs, c, ys); break;
                    case BinaryOp.Sub: TensorPrimitives.Subtract(xs, c, ys); break;
                    default: for (int i = 0; i < xs.Length; i++) ys[i] = ElementwiseMath.Binary(op, xs[i], c); break;
                }
            }
        });
    }

    public override void Where(Tensor mask, Tensor a, Tensor b, Tensor y, bool broadcast, int channels, int spatial)
    {
        int* pm = mask.IntPtr; float* pa = a.Ptr, pb = b.Ptr, py = y.Ptr;
        if (!broadcast)
        {
            HostParallel.For(a.Numel, MinElems, (s, e) => Select(pm + s, pa + s, pb + s, py + s, e - s));
            return;
        }
        // One (image, channel) plane per step against its image's mask row: no division per element.
        HostParallel.For(a.Numel / spatial, Math.Max(1, MinElems / spatial), (s, e) =>
        {
            for (long pl = s; pl < e; pl++)
            {
                long o = pl * spatial;
                Select(pm + pl / channels * spatial, pa + o, pb + o, py + o, spatial);
            }
        });
    }

    /// <summary>y[i] = m[i] != 0 ? a[i] : b[i], 8 at a time where vectors run (a branch per element mispredicts on a
    /// DDC-AT mask: 0.6 ms per 1.4M floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Select(int* m, float* a, float* b, float* y, long n)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
            {
                var keep = ~Vector256.Equals(Vector256.Load(m + i), Vector256<int>.Zero).AsSingle();
                Vector256.Store(Vector256.ConditionalSelect(keep, Vector256.Load(a + i), Vector256.Load(b + i)), y + i);
            }
        for (; i < n; i++) y[i] = m[i] != 0 ? a[i] : b[i];
    }

    public override void RandUniform(Tensor y, ulong seed, float lo, float hi)
    {
        float* p = y.Ptr;
        HostParallel.For(y.Numel, MinElems, (s, e) =>
        {
            for (long j = s; j < e; j++) p[j] = lo + (hi - lo) * ElementwiseMath.HashUniform(seed, j);
        });
    }

    public override void IntCompare(IntCompareOp op, Tensor a, Tensor b, Tensor y)
    {
        var xa = SI(a); var xb = SI(b); var ys = SI(y);
        for (int i = 0; i < xa.Length; i++) ys[i] = (xa[i] == xb[i]) == (op == IntCompareOp.Eq) ? 1 : 0;
    }

    public override void IntToFloat(Tensor x, Tensor y)
    {
        var xs = SI(x); var ys = S(y);
        for (int i = 0; i < xs.Length; i++) ys[i] = xs[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Reduce(Tensor x, Tensor? y, Tensor output, int outer, int r, int inner, int rChunk)
    {
        // Same partition and summation order as the kernel, so both backends agree closely;
        // contiguous rows (inner == 1) use TensorPrimitives.Sum / Dot.
        float* px = x.Ptr, py = y is null ? null : y.Ptr, po = output.Ptr;
        int parts = (r + rChunk - 1) / rChunk;
        long total = (long)outer * parts * inner;
        HostParallel.For(total, Math.Max(1, (1 << 16) / Math.Max(1, rChunk)), (s, e) =>
        {
            for (long j = s; j < e; j++)
            {
                int k = (int)(j % inner);
                int p = (int)(j / inner % parts);
                long o = j / ((long)inner * parts);
                int r0 = p * rChunk, r1 = Math.Min(r, r0 + rChunk);
                long b = o * r * inner + k;
                float acc = 0f;
                if (inner == 1)
                {
                    var xs = S(px, b + r0, b + r1);
                    acc = py is null ? TensorPrimitives.Sum(xs) : TensorPrimitives.Dot(xs, S(py, b + r0, b + r1));
                }
                else if (py is null) for (int q = r0; q < r1; q++) acc += px[b + (long)q * inner];
                else for (int q = r0; q < r1; q++) acc += px[b + (long)q * inner] * py[b + (long)q * inner];
                po[j] = acc;
            }
        });
    }

    public override void Expand(Tensor x, Tensor y, int outer, int r, int inner, float scale)
    {
        float* px = x.Ptr, py = y.Ptr;
        HostParallel.For((long)outer * r, Math.Max(1, MinElems / inner), (s, e) =>
        {
            for (long j = s; j < e; j++)
            {
                long o = j / r;
                TensorPrimitives.Multiply(S(px, o * inner, (o + 1) * inner), scale, S(py, j * inner, (j + 1) * inner));
            }
        });
    }

    public override void ChannelMax(Tensor x, Tensor values, Tensor indices, int channels, int spatial)
    {
        float* px = x.Ptr, pv = values.Ptr; int* pi = indices.IntPtr;
        long n = values.Numel;
        HostParallel.For(n / spatial, Math.Max(1, MinElems / ((long)spatial * channels)), (s, e) =>
        {
            for (long b = s; b < e; b++)
            {
                float* xb = px + b * channels * spatial, bv = pv + b * spatial;
                int* bi = pi + b * spatial;
                S(xb, 0, spatial).CopyTo(S(bv, 0, spatial));
                new Span<int>(bi, spatial).Clear();
                for (int c = 1; c < channels; c++)
                {
                    float* xc = xb + (long)c * spatial;
                    int q = 0;
                    if (Vector256.IsHardwareAccelerated)
                    {
                        // The same rule as lanes (a branch per element mispredicted: 0.6 ms per DDC-AT mask).
                        var cv = Vector256.Create(c);
                        for (; q + 8 <= spatial; q += 8)
                        {
                            var v = Vector256.Load(xc + q);
                            var best = Vector256.Load(bv + q);
                            var take = Vector256.GreaterThan(v, best) | (~Vector256.Equals(v, v) & Vector256.Equals(best, best));
                            Vector256.Store(Vector256.ConditionalSelect(take, v, best), bv + q);
                            Vector256.Store(Vector256.ConditionalSelect(take.AsInt32(), cv, Vector256.Load(bi + q)), bi + q);
                        }
                    }
                    for (; q < spatial; q++)
                    {
                        float v = xc[q], best = bv[q];
                        if (v > best || (float.IsNaN(v) && !float.IsNaN(best))) { bv[q] = v; bi[q] = c; }
                    }
                }
            }
        });
    }

    public override void ChannelScatter(Tensor indices, Tensor dy, Tensor dx, int channels, int spatial)
    {
        int* pi = indices.IntPtr; float* pdy = dy.Ptr, pdx = dx.Ptr;
        long planes = dx.Numel / spatial;
        HostParallel.For(planes, Math.Max(1, MinElems / spatial), (s, e) =>
        {
            for (long pl = s; pl < e; pl++)
            {
                long n = pl / channels; int c = (int)(pl % channels);
                for (int q = 0; q < spatial; q++)
                    pdx[pl * spatial + q] = pi[n * spatial + q] == c ? pdy[n * spatial + q] : 0f;
            }
        });
    }

    public override void CopyChannels(Tensor src, int srcChannels, int srcOffset, Tensor dst, int dstChannels, int dstOffset, int count, int spatial, int batch, bool accumulate)
    {
        float* ps = src.Ptr, pd = dst.Ptr;
        HostParallel.For((long)batch * count, Math.Max(1, MinElems / spatial), (s, e) =>
        {
            for (long j = s; j < e; j++)
            {
                long n = j / count; int c = (int)(j % count);
                var from = S(ps, ((n * srcChannels) + srcOffset + c) * spatial, ((n * srcChannels) + srcOffset + c + 1) * spatial);
                var to = S(pd, ((n * dstChannels) + dstOffset + c) * spatial, ((n * dstChannels) + dstOffset + c + 1) * spatial);
                if (accumulate) TensorPrimitives.Add(to, from, to);
                else from.CopyTo(to);
            }
        });
    }
}
