using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace RobustSeg.Engine.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Same partition as the kernels on the CPU accelerator (one part per plane (n, c), merged per channel
    // in n order), with SIMD inside a plane.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void BatchNormStats(Tensor x, int n, int c, int s, Tensor? weight, Tensor? bias,
        Tensor runningMean, Tensor runningVar, bool training, float momentum, float eps,
        Tensor mean, Tensor invstd, Tensor scale, Tensor shift)
    {
        Device.Kernels.Count("batchnorm_stats");
        float* px = x.Ptr, prm = runningMean.Ptr, prv = runningVar.Ptr;
        float* pw = weight is null ? null : weight.Ptr, pb = bias is null ? null : bias.Ptr;
        float* pmean = mean.Ptr, pinv = invstd.Ptr, pscale = scale.Ptr, pshift = shift.Ptr;
        float[]? partMean = null, partM2 = null;
        if (training)
        {
            // Part index (c, n) so a channel's partials are contiguous, as in the kernel.
            partMean = new float[c * n];
            partM2 = new float[c * n];
            var pm = partMean; var p2 = partM2;
            HostParallel.For((long)c * n, Math.Max(1, MinElems / Math.Max(1, s)), (st, e) =>
            {
                for (long j = st; j < e; j++)
                {
                    int ch = (int)(j / n), b = (int)(j % n);
                    float* plane = px + ((long)b * c + ch) * s;
                    float m = s > 0 ? TensorPrimitives.Sum(new ReadOnlySpan<float>(plane, s)) / s : 0f;
                    pm[j] = m;
                    p2[j] = SumSquaredDeviation(plane, s, m);
                }
            });
        }
        for (int ch = 0; ch < c; ch++)
        {
            float mu, inv;
            if (training)
            {
                float cnt = 0f, m = 0f, m2 = 0f;
                for (int b = 0; b < n; b++)
                {
                    float nb = s;
                    if (nb <= 0f) continue;
                    float mb = partMean![ch * n + b], m2b = partM2![ch * n + b];
                    float tot = cnt + nb;
                    float d = mb - m;
                    m += d * (nb / tot);
                    m2 += m2b + d * d * (cnt * nb / tot);
                    cnt = tot;
                }
                float varB = m2 / cnt;
                float varU = cnt > 1f ? m2 / (cnt - 1f) : varB;
                prm[ch] = (1f - momentum) * prm[ch] + momentum * m;
                prv[ch] = (1f - momentum) * prv[ch] + momentum * varU;
                mu = m;
                inv = 1f / MathF.Sqrt(varB + eps);
            }
            else
            {
                mu = prm[ch];
                inv = 1f / MathF.Sqrt(prv[ch] + eps);
            }
            float w = pw is null ? 1f : pw[ch], bb = pb is null ? 0f : pb[ch];
            pmean[ch] = mu;
            pinv[ch] = inv;
            pscale[ch] = w * inv;
            pshift[ch] = bb - mu * w * inv;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float SumSquaredDeviation(float* p, int len, float m)
    {
        int i = 0;
        float acc = 0f;
        if (Vector.IsHardwareAccelerated && len >= 2 * Vector<float>.Count)
        {
            var vm = new Vector<float>(m);
            Vector<float> a0 = Vector<float>.Zero, a1 = Vector<float>.Zero;
            int vl = Vector<float>.Count;
            for (; i <= len - 2 * vl; i += 2 * vl)
            {
                var d0 = Vector.Load(p + i) - vm;
                var d1 = Vector.Load(p + i + vl) - vm;
                a0 += d0 * d0;
                a1 += d1 * d1;
            }
            acc = Vector.Sum(a0 + a1);
        }
        for (; i < len; i++) { float d = p[i] - m; acc += d * d; }
        return acc;
    }

    public override void BatchNormApply(Tensor x, Tensor scale, Tensor shift, Tensor y, int c, int s, Tensor? residual = null, bool relu = false)
    {
        Device.Kernels.Count("batchnorm_apply");
        float* px = x.Ptr, py = y.Ptr, psc = scale.Ptr, psh = shift.Ptr, pr = residual is null ? null : residual.Ptr;
        long planes = x.Numel / Math.Max(1, s);
        HostParallel.For(planes, Math.Max(1, MinElems / Math.Max(1, s)), (st, e) =>
        {
            for (long pl = st; pl < e; pl++)
            {
                int ch = (int)(pl % c);
                ScaleShiftPlane(px + pl * s, py + pl * s, s, psc[ch], psh[ch]);
                // While the plane is in L1: the calls Binary(Add) and Unary(Relu) make, so the bits are theirs.
                var ys = S(py, pl * s, (pl + 1) * s);
                if (pr != null) TensorPrimitives.Add(ys, S(pr, pl * s, (pl + 1) * s), ys);
                if (relu) TensorPrimitives.Max(ys, 0f, ys);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ScaleShiftPlane(float* x, float* y, int len, float a, float b)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && len >= Vector<float>.Count)
        {
            int vl = Vector<float>.Count;
            var va = new Vector<float>(a); var vb = new Vector<float>(b);
            for (; i <= len - vl; i += vl) Vector.Store(Vector.Load(x + i) * va + vb, y + i);
        }
        for (; i < len; i++) y[i] = x[i] * a + b;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void BatchNormBackward(Tensor x, Tensor dy, Tensor mean, Tensor invstd, Tensor? weight, bool training,
        int n, int c, int s, Tensor? dx, Tensor? dweight, Tensor? dbias, Tensor? reluOut = null, Tensor? maskedDy = null)
    {
        if (reluOut is null) BatchNormBackward<Plain>(x, dy, null, mean, invstd, weight, training, n, c, s, dx, dweight, dbias, null);
        else BatchNormBackward<ReluMasked>(x, dy, reluOut.Ptr, mean, invstd, weight, training, n, c, s, dx, dweight, dbias, maskedDy);
    }

    /// <summary>The gradient reaching batch norm, a vector or a float at i: dy itself, or dy masked by a following ReLU's
    /// output y (y &lt;= 0: 0, <see cref="ReluGrad"/>'s rule). One struct per case, so the JIT writes out each loop.</summary>
    interface IGradIn
    {
        static abstract Vector<float> At(float* dy, float* y, int i);
        static abstract float One(float* dy, float* y, int i);
    }
    struct Plain : IGradIn
    {
        public static Vector<float> At(float* dy, float* y, int i) => Vector.Load(dy + i);
        public static float One(float* dy, float* y, int i) => dy[i];
    }
    struct ReluMasked : IGradIn
    {
        public static Vector<float> At(float* dy, float* y, int i) =>
            Vector.ConditionalSelect(Vector.LessThanOrEqual(Vector.Load(y + i), Vector<float>.Zero), Vector<float>.Zero, Vector.Load(dy + i));
        public static float One(float* dy, float* y, int i) => y[i] <= 0f ? 0f : dy[i];
    }

    void BatchNormBackward<TG>(Tensor x, Tensor dy, float* py, Tensor mean, Tensor invstd, Tensor? weight, bool training,
        int n, int c, int s, Tensor? dx, Tensor? dweight, Tensor? dbias, Tensor? maskedDy) where TG : struct, IGradIn
    {
        if (maskedDy is not null && dx is null) throw new ArgumentException("BatchNormBackward: maskedDy requires dx");
        Device.Kernels.Count("batchnorm_backward");
        bool partials = dweight is not null || dbias is not null || (dx is not null && training);
        float* px = x.Ptr, pdy = dy.Ptr, pmean = mean.Ptr, pinv = invstd.Ptr;
        float* pw = weight is null ? null : weight.Ptr;
        var pSumDy = new float[c * n];
        var pSumDyXmu = new float[c * n];
        if (partials)
        {
            Device.Kernels.Count("BackPartial"); // the kernel's name: tests check the reduction is skipped
            HostParallel.For((long)c * n, Math.Max(1, MinElems / Math.Max(1, s)), (st, e) =>
            {
                for (long j = st; j < e; j++)
                {
                    int ch = (int)(j / n), b = (int)(j % n);
                    long off = ((long)b * c + ch) * s;
                    var (s1, s2) = SumDyAndDyXmu<TG>(pdy + off, py + off, px + off, s, pmean[ch]);
                    pSumDy[j] = s1;
                    pSumDyXmu[j] = s2;
                }
            });
        }
        float* pdw = dweight is null ? null : dweight.Ptr, pdb = dbias is null ? null : dbias.Ptr;
        var coefA = new float[c]; var coefK = new float[c]; var coefD = new float[c];
        float count = (float)n * s;
        for (int ch = 0; ch < c; ch++)
        {
            float sumDy = 0f, sumDyXmu = 0f;
            if (partials)
                for (int b = 0; b < n; b++) { sumDy += pSumDy[ch * n + b]; sumDyXmu += pSumDyXmu[ch * n + b]; }
            float inv = pinv[ch], w = pw is null ? 1f : pw[ch];
            if (pdw is not null) pdw[ch] = sumDyXmu * inv;
            if (pdb is not null) pdb[ch] = sumDy;
            float a = w * inv;
            coefA[ch] = a;
            coefK[ch] = training ? -a * inv * inv * sumDyXmu / count : 0f;
            coefD[ch] = training ? -a * sumDy / count : 0f;
        }
        if (dx is null) return;
        float* pdx = dx.Ptr, pgm = maskedDy is null ? null : maskedDy.Ptr;
        HostParallel.For((long)n * c, Math.Max(1, MinElems / Math.Max(1, s)), (st, e) =>
        {
            for (long pl = st; pl < e; pl++)
            {
                int ch = (int)(pl % c);
                long off = pl * s;
                BackInputPlane<TG>(pdy + off, py + off, px + off, pdx + off, pgm is null ? null : pgm + off, s, training,
                    coefA[ch], coefK[ch], pmean[ch], coefD[ch]);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static (float, float) SumDyAndDyXmu<TG>(float* dy, float* y, float* x, int len, float m) where TG : struct, IGradIn
    {
        int i = 0;
        float s1 = 0f, s2 = 0f;
        if (Vector.IsHardwareAccelerated && len >= 2 * Vector<float>.Count)
        {
            int vl = Vector<float>.Count;
            var vm = new Vector<float>(m);
            Vector<float> a0 = Vector<float>.Zero, a1 = Vector<float>.Zero, b0 = Vector<float>.Zero, b1 = Vector<float>.Zero;
            for (; i <= len - 2 * vl; i += 2 * vl)
            {
                var g0 = TG.At(dy, y, i); var g1 = TG.At(dy, y, i + vl);
                a0 += g0; a1 += g1;
                b0 += g0 * (Vector.Load(x + i) - vm);
                b1 += g1 * (Vector.Load(x + i + vl) - vm);
            }
            s1 = Vector.Sum(a0 + a1);
            s2 = Vector.Sum(b0 + b1);
        }
        for (; i < len; i++) { float g = TG.One(dy, y, i); s1 += g; s2 += g * (x[i] - m); }
        return (s1, s2);
    }

    /// <summary>dx = a g + k (x - m) + d over a plane in training, a g in eval (x not read); g also to gm where given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void BackInputPlane<TG>(float* dy, float* y, float* x, float* dx, float* gm, int len, bool training,
        float a, float k, float m, float d) where TG : struct, IGradIn
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && len >= Vector<float>.Count)
        {
            int vl = Vector<float>.Count;
            var va = new Vector<float>(a); var vk = new Vector<float>(k); var vm = new Vector<float>(m); var vd = new Vector<float>(d);
            for (; i <= len - vl; i += vl)
            {
                var g = TG.At(dy, y, i);
                if (gm != null) Vector.Store(g, gm + i);
                Vector.Store(training ? va * g + vk * (Vector.Load(x + i) - vm) + vd : va * g, dx + i);
            }
        }
        for (; i < len; i++)
        {
            float g = TG.One(dy, y, i);
            if (gm != null) gm[i] = g;
            dx[i] = training ? a * g + k * (x[i] - m) + d : a * g;
        }
    }
}
