using ILGPU;

namespace RobustSeg.Kernels;

/// <summary>Bilinear sampling along one axis with align_corners=True, in float exactly as PyTorch
/// computes it: scale = (in-1)/(out-1) (0 when out == 1), src = scale*o, i0 = (int)src, i1 = i0+1 unless
/// i0 is the last index, lambda = src - i0. The host path builds its tables from these same functions,
/// so both backends sample identically.</summary>
public static class InterpMath
{
    public static float Scale(int inSize, int outSize) => outSize > 1 ? (float)(inSize - 1) / (outSize - 1) : 0f;

    public static int Lower(int o, float scale, int inSize)
    {
        int i = (int)(scale * o);
        return i < inSize - 1 ? i : inSize - 1;
    }

    public static int Upper(int i0, int inSize) => i0 < inSize - 1 ? i0 + 1 : i0;

    public static float Lambda(int o, float scale, int i0) => scale * o - i0;

    /// <summary>Weight of input index i in output o (0 when o does not touch i). Both taps can land on
    /// the same index at the last row; their weights then add.</summary>
    public static float Weight(int o, int i, float scale, int inSize)
    {
        int i0 = Lower(o, scale, inSize);
        int i1 = Upper(i0, inSize);
        float l = Lambda(o, scale, i0);
        return (i0 == i ? 1f - l : 0f) + (i1 == i ? l : 0f);
    }

    /// <summary>True when output o samples input index i (with either tap).</summary>
    public static bool Touches(int o, int i, float scale, int inSize)
    {
        int i0 = Lower(o, scale, inSize);
        return i0 == i || Upper(i0, inSize) == i;
    }

    /// <summary>First output index that may touch input i: outputs with (int)(scale*o) in {i-1, i}
    /// lie in [(i-1)/scale, (i+1)/scale); a margin of 2 absorbs float rounding. scale 0: all outputs.</summary>
    public static int FirstCandidate(int i, float scale)
    {
        if (scale <= 0f) return 0;
        int o = (int)((i - 1) / scale) - 2;
        return o > 0 ? o : 0;
    }

    public static int LastCandidate(int i, float scale, int outSize)
    {
        if (scale <= 0f) return outSize - 1;
        float f = (i + 1) / scale + 2f;
        return f < outSize - 1 ? (int)f : outSize - 1;
    }
}

/// <summary>x (P, H, W) -> y (P, OH, OW); N = P*OH*OW outputs, Chunk per index.</summary>
public struct InterpArgs
{
    public ArrayView<float> X, Y;
    public int H, W, OH, OW;
    public float ScaleH, ScaleW;
    public int N, Chunk;
}

/// <summary>dy (P, OH, OW) -> dx (P, H, W); N = P*H*W inputs, Chunk per index.</summary>
public struct InterpGradArgs
{
    public ArrayView<float> DY, DX;
    public int H, W, OH, OW;
    public float ScaleH, ScaleW;
    public int N, Chunk;
}

public static class InterpolateKernels
{
    public static void Bilinear(Index1D i, InterpArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++)
        {
            int ow = j % a.OW;
            int t = j / a.OW;
            int oh = t % a.OH;
            int p = t / a.OH;
            int h0 = InterpMath.Lower(oh, a.ScaleH, a.H), h1 = InterpMath.Upper(h0, a.H);
            int w0 = InterpMath.Lower(ow, a.ScaleW, a.W), w1 = InterpMath.Upper(w0, a.W);
            float lh = InterpMath.Lambda(oh, a.ScaleH, h0), lw = InterpMath.Lambda(ow, a.ScaleW, w0);
            int b = p * a.H * a.W;
            // Same association as the host path: rows first, then columns.
            float top = (1f - lw) * a.X[b + h0 * a.W + w0] + lw * a.X[b + h0 * a.W + w1];
            float bot = (1f - lw) * a.X[b + h1 * a.W + w0] + lw * a.X[b + h1 * a.W + w1];
            a.Y[j] = (1f - lh) * top + lh * bot;
        }
    }

    /// <summary>Gather form of the backward: each input pixel sums the output pixels that sample it
    /// (no atomics, fixed order).</summary>
    public static void BilinearGrad(Index1D i, InterpGradArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++)
        {
            int w = j % a.W;
            int t = j / a.W;
            int h = t % a.H;
            int p = t / a.H;
            int oh0 = InterpMath.FirstCandidate(h, a.ScaleH), oh1 = InterpMath.LastCandidate(h, a.ScaleH, a.OH);
            int ow0 = InterpMath.FirstCandidate(w, a.ScaleW), ow1 = InterpMath.LastCandidate(w, a.ScaleW, a.OW);
            int b = p * a.OH * a.OW;
            float acc = 0f;
            for (int oh = oh0; oh <= oh1; oh++)
            {
                if (!InterpMath.Touches(oh, h, a.ScaleH, a.H)) continue;
                float wh = InterpMath.Weight(oh, h, a.ScaleH, a.H);
                float row = 0f;
                for (int ow = ow0; ow <= ow1; ow++)
                {
                    if (!InterpMath.Touches(ow, w, a.ScaleW, a.W)) continue;
                    row += InterpMath.Weight(ow, w, a.ScaleW, a.W) * a.DY[b + oh * a.OW + ow];
                }
                acc += wh * row;
            }
            a.DX[j] = acc;
        }
    }
}
