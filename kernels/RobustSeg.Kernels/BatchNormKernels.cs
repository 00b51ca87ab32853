using ILGPU;

namespace RobustSeg.Kernels;

// Batch norm over x viewed as (N, C, S). Per-channel statistics are deterministic: a first launch
// computes partials for parts (c, n, q), part q of plane (n, c) holding the elements s = q, q+Q, ...
// (strided, so neighbouring GPU threads read neighbouring addresses; Q = 1 on the CPU accelerator);
// a second launch merges the N*Q partials of a channel in a fixed order. No atomics.

/// <summary>Per part (c, n, q): mean and sum of squared deviations (M2) of its elements.</summary>
public struct BnPartialArgs
{
    public ArrayView<float> X, PMean, PM2;
    public int N, C, S, Q, Total, Chunk;
}

/// <summary>Per channel: merges the partials (training) or reads the running stats (eval) into the saved
/// mean / invstd and the affine form y = x*Scale + Shift; in training also updates the running stats.</summary>
public struct BnFinishArgs
{
    public ArrayView<float> PMean, PM2, Weight, Bias, RunMean, RunVar, Mean, Invstd, Scale, Shift;
    public int N, S, Q, C, HasWeight, HasBias, Training, Chunk;
    public float Momentum, Eps;
}

/// <summary>y[n,c,s] = x[n,c,s] * Scale[c] + Shift[c] (normalise and affine in one pass).</summary>
/// <summary>y = x scale + shift, then + r where HasResidual, then ReLU where Relu (r is a dummy view otherwise).</summary>
public struct BnApplyArgs { public ArrayView<float> X, Scale, Shift, Y, R; public int C, S, N, Chunk, HasResidual, Relu; }

/// <summary>Per part (c, n, q): sum of g and of g * (x - mean[c]), g = dy, or (Mask) dy masked by a following ReLU's
/// output Y (<see cref="BatchNormKernels.Grad"/>).</summary>
public struct BnBackPartialArgs
{
    public ArrayView<float> X, DY, Y, Mean, PSumDy, PSumDyXmu;
    public int N, C, S, Q, Total, Chunk, Mask;
}

/// <summary>Per channel: dweight, dbias and the coefficients of dx = A*dy + K*(x - mean) + D.</summary>
public struct BnBackFinishArgs
{
    public ArrayView<float> PSumDy, PSumDyXmu, Invstd, Weight, DWeight, DBias, CoefA, CoefK, CoefD;
    public int Parts, C, HasWeight, WantDWeight, WantDBias, UsePartials, Training, Chunk;
    public float Count;
}

/// <summary>dx[n,c,s] = A[c]*g + K[c]*(x - mean[c]) + D[c] in training, A[c]*g in eval (x is not read), g as in
/// <see cref="BnBackPartialArgs"/>; g is written to GM where WantGm.</summary>
public struct BnBackInputArgs
{
    public ArrayView<float> X, DY, Y, GM, Mean, CoefA, CoefK, CoefD, DX;
    public int C, S, N, Chunk, Mask, WantGm, Training;
}

public static class BatchNormKernels
{
    /// <summary>Number of elements of part q when a plane of S elements is split with stride Q.</summary>
    public static int PartCount(int s, int q, int qq) => (s - q + qq - 1) / qq;

    public static void Partial(Index1D i, BnPartialArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.Total ? st + a.Chunk : a.Total;
        for (int j = st; j < e; j++)
        {
            // j indexes (c, n, q): the partials of one channel are contiguous.
            int q = j % a.Q;
            int n = (j / a.Q) % a.N;
            int c = j / (a.Q * a.N);
            int b = (n * a.C + c) * a.S;
            int cnt = PartCount(a.S, q, a.Q);
            float sum = 0f;
            for (int s = q; s < a.S; s += a.Q) sum += a.X[b + s];
            float m = cnt > 0 ? sum / cnt : 0f;
            float m2 = 0f;
            for (int s = q; s < a.S; s += a.Q) { float d = a.X[b + s] - m; m2 += d * d; }
            a.PMean[j] = m;
            a.PM2[j] = m2;
        }
    }

    public static void Finish(Index1D i, BnFinishArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.C ? st + a.Chunk : a.C;
        for (int c = st; c < e; c++)
        {
            float mean, invstd;
            if (a.Training != 0)
            {
                // Chan et al.'s pairwise merge of (count, mean, M2), parts in a fixed order.
                float cnt = 0f, m = 0f, m2 = 0f;
                int parts = a.N * a.Q;
                for (int p = 0; p < parts; p++)
                {
                    float nb = PartCount(a.S, p % a.Q, a.Q);
                    if (nb <= 0f) continue;
                    float mb = a.PMean[c * parts + p], m2b = a.PM2[c * parts + p];
                    float tot = cnt + nb;
                    float d = mb - m;
                    m += d * (nb / tot);
                    m2 += m2b + d * d * (cnt * nb / tot);
                    cnt = tot;
                }
                float varB = m2 / cnt;
                float varU = cnt > 1f ? m2 / (cnt - 1f) : varB;
                a.RunMean[c] = (1f - a.Momentum) * a.RunMean[c] + a.Momentum * m;
                a.RunVar[c] = (1f - a.Momentum) * a.RunVar[c] + a.Momentum * varU;
                mean = m;
                invstd = 1f / MathF.Sqrt(varB + a.Eps);
            }
            else
            {
                mean = a.RunMean[c];
                invstd = 1f / MathF.Sqrt(a.RunVar[c] + a.Eps);
            }
            float w = a.HasWeight != 0 ? a.Weight[c] : 1f;
            float bias = a.HasBias != 0 ? a.Bias[c] : 0f;
            a.Mean[c] = mean;
            a.Invstd[c] = invstd;
            a.Scale[c] = w * invstd;
            a.Shift[c] = bias - mean * w * invstd;
        }
    }

    public static void Apply(Index1D i, BnApplyArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.N ? st + a.Chunk : a.N;
        for (int j = st; j < e; j++)
        {
            int c = (j / a.S) % a.C;
            float y = a.X[j] * a.Scale[c] + a.Shift[c];
            // The Binary(Add) and Unary(Relu) kernels' arithmetic, in their order.
            if (a.HasResidual != 0) y = ElementwiseMath.Binary(BinaryOp.Add, y, a.R[j]);
            if (a.Relu != 0) y = ElementwiseMath.Unary(UnaryOp.Relu, y, 0f, 0f);
            a.Y[j] = y;
        }
    }

    public static void BackPartial(Index1D i, BnBackPartialArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.Total ? st + a.Chunk : a.Total;
        for (int j = st; j < e; j++)
        {
            int q = j % a.Q;
            int n = (j / a.Q) % a.N;
            int c = j / (a.Q * a.N);
            int b = (n * a.C + c) * a.S;
            float m = a.Mean[c];
            float s1 = 0f, s2 = 0f;
            for (int s = q; s < a.S; s += a.Q)
            {
                float g = Grad(a.DY, a.Y, a.Mask, b + s);
                s1 += g;
                s2 += g * (a.X[b + s] - m);
            }
            a.PSumDy[j] = s1;
            a.PSumDyXmu[j] = s2;
        }
    }

    public static void BackFinish(Index1D i, BnBackFinishArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.C ? st + a.Chunk : a.C;
        for (int c = st; c < e; c++)
        {
            float sumDy = 0f, sumDyXmu = 0f;
            if (a.UsePartials != 0)
                for (int p = 0; p < a.Parts; p++)
                {
                    sumDy += a.PSumDy[c * a.Parts + p];
                    sumDyXmu += a.PSumDyXmu[c * a.Parts + p];
                }
            float invstd = a.Invstd[c];
            float w = a.HasWeight != 0 ? a.Weight[c] : 1f;
            if (a.WantDWeight != 0) a.DWeight[c] = sumDyXmu * invstd;
            if (a.WantDBias != 0) a.DBias[c] = sumDy;
            float ca = w * invstd;
            a.CoefA[c] = ca;
            if (a.Training != 0)
            {
                // dx = w*invstd * (dy - mean(dy) - xhat * mean(dy*xhat)), xhat = (x - mean)*invstd.
                a.CoefK[c] = -ca * invstd * invstd * sumDyXmu / a.Count;
                a.CoefD[c] = -ca * sumDy / a.Count;
            }
            else
            {
                a.CoefK[c] = 0f;
                a.CoefD[c] = 0f;
            }
        }
    }

    public static void BackInput(Index1D i, BnBackInputArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.N ? st + a.Chunk : a.N;
        for (int j = st; j < e; j++)
        {
            int c = (j / a.S) % a.C;
            float g = Grad(a.DY, a.Y, a.Mask, j);
            if (a.WantGm != 0) a.GM[j] = g;
            a.DX[j] = a.Training != 0 ? a.CoefA[c] * g + a.CoefK[c] * (a.X[j] - a.Mean[c]) + a.CoefD[c] : a.CoefA[c] * g;
        }
    }

    /// <summary>The gradient reaching batch norm at j: dy, or (mask) dy masked by the ReLU output y as
    /// ElementwiseMath.UnaryGrad's ReLU rule (y &lt;= 0: 0; a NaN passes dy).</summary>
    public static float Grad(ArrayView<float> dy, ArrayView<float> y, int mask, int j) =>
        mask != 0 && y[j] <= 0f ? 0f : dy[j];
}
