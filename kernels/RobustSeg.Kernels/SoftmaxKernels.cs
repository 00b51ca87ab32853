using ILGPU;

namespace RobustSeg.Kernels;

/// <summary>Softmax / log-softmax over dim 1 of x viewed as (N, C, S); N = n*S pixels, Chunk per index.
/// Numerically stable: the channel max is subtracted before exp.</summary>
public struct SoftmaxArgs { public ArrayView<float> X, Y; public int Log, C, S, N, Chunk; }

/// <summary>Backward from the output y: softmax dx = y*(dy - sum(dy*y)); log-softmax dx = dy - exp(y)*sum(dy).</summary>
public struct SoftmaxGradArgs { public ArrayView<float> Y, DY, DX; public int Log, C, S, N, Chunk; }

/// <summary>Fused cross-entropy forward of logits (n, C, S) and int labels (n, S); N = n*S pixels.
/// Loss[j] = logsumexp - x[label] (0 when ignored or invalid); Flags (2, N): row 0 = 1 at counted
/// pixels, row 1 = 1 where the label is neither in [0, C) nor Ignore (reported by the host).</summary>
public struct CrossEntropyArgs
{
    public ArrayView<float> X, Loss, Flags;
    public ArrayView<int> Labels;
    public int C, S, Ignore, N, Chunk;
}

/// <summary>dx[c] = coef*(softmax[c] - onehot[c]) at counted pixels, 0 elsewhere, with
/// coef = Scale * (PerPixel ? DY[j] : DY[0]); one index per pixel writes all C channels (no atomics).</summary>
public struct CrossEntropyGradArgs
{
    public ArrayView<float> X, DY, DX;
    public ArrayView<int> Labels;
    public int PerPixel;
    public float Scale;
    public int C, S, Ignore, N, Chunk;
}

public static class SoftmaxKernels
{
    static float Max(ArrayView<float> x, int b, int c, int s)
    {
        float m = x[b];
        for (int k = 1; k < c; k++)
        {
            float v = x[b + k * s];
            if (v > m || float.IsNaN(v)) m = v;
        }
        return m;
    }

    static float SumExp(ArrayView<float> x, int b, int c, int s, float m)
    {
        float sum = 0f;
        for (int k = 0; k < c; k++) sum += MathF.Exp(x[b + k * s] - m);
        return sum;
    }

    public static void Softmax(Index1D i, SoftmaxArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++)
        {
            int b = (j / a.S) * a.C * a.S + j % a.S;
            float m = Max(a.X, b, a.C, a.S);
            float sum = SumExp(a.X, b, a.C, a.S, m);
            if (a.Log != 0)
            {
                float ls = MathF.Log(sum);
                for (int k = 0; k < a.C; k++) a.Y[b + k * a.S] = (a.X[b + k * a.S] - m) - ls;
            }
            else
                for (int k = 0; k < a.C; k++) a.Y[b + k * a.S] = MathF.Exp(a.X[b + k * a.S] - m) / sum;
        }
    }

    public static void SoftmaxGrad(Index1D i, SoftmaxGradArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++)
        {
            int b = (j / a.S) * a.C * a.S + j % a.S;
            float dot = 0f;
            if (a.Log != 0)
            {
                for (int k = 0; k < a.C; k++) dot += a.DY[b + k * a.S];
                for (int k = 0; k < a.C; k++)
                {
                    int q = b + k * a.S;
                    a.DX[q] = a.DY[q] - MathF.Exp(a.Y[q]) * dot;
                }
            }
            else
            {
                for (int k = 0; k < a.C; k++) dot += a.DY[b + k * a.S] * a.Y[b + k * a.S];
                for (int k = 0; k < a.C; k++)
                {
                    int q = b + k * a.S;
                    a.DX[q] = a.Y[q] * (a.DY[q] - dot);
                }
            }
        }
    }

    public static void CrossEntropy(Index1D i, CrossEntropyArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++)
        {
            int l = a.Labels[j];
            float loss = 0f, valid = 0f, bad = 0f;
            if (l != a.Ignore)
            {
                if (l < 0 || l >= a.C) bad = 1f;
                else
                {
                    int b = (j / a.S) * a.C * a.S + j % a.S;
                    float m = Max(a.X, b, a.C, a.S);
                    float sum = SumExp(a.X, b, a.C, a.S, m);
                    loss = MathF.Log(sum) - (a.X[b + l * a.S] - m);
                    valid = 1f;
                }
            }
            a.Loss[j] = loss;
            a.Flags[j] = valid;
            a.Flags[a.N + j] = bad;
        }
    }

    public static void CrossEntropyGrad(Index1D i, CrossEntropyGradArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++)
        {
            int l = a.Labels[j];
            int b = (j / a.S) * a.C * a.S + j % a.S;
            if (l == a.Ignore || l < 0 || l >= a.C)
            {
                for (int k = 0; k < a.C; k++) a.DX[b + k * a.S] = 0f;
                continue;
            }
            float coef = a.Scale * (a.PerPixel != 0 ? a.DY[j] : a.DY[0]);
            float m = Max(a.X, b, a.C, a.S);
            float sum = SumExp(a.X, b, a.C, a.S, m);
            for (int k = 0; k < a.C; k++)
            {
                int q = b + k * a.S;
                float p = MathF.Exp(a.X[q] - m) / sum;
                a.DX[q] = p * coef - (k == l ? coef : 0f);
            }
        }
    }
}
