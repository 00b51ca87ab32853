using ILGPU;

namespace RobustSeg.Kernels;

/// <summary>out[o, k] = sum over r in [R0, R1) of x[o, r, k] (times y[o, r, k] when UseY), for x viewed
/// as (Outer, R, Inner). Out is (Outer, Parts, Inner): part p sums rows [p*RChunk, (p+1)*RChunk), so a
/// long reduction is split into parts and finished by a second launch, in a fixed order: deterministic,
/// no atomics.</summary>
public struct ReduceArgs
{
    public ArrayView<float> X, Y, Out;
    public int UseY, Outer, R, Inner, Parts, RChunk, Total, Chunk;
}

/// <summary>Max and argmax over dim 1 of (N, C, S): values and indices are (N, S). First max wins.</summary>
public struct ChannelMaxArgs { public ArrayView<float> X, Values; public ArrayView<int> Indices; public int C, S, N, Chunk; }

/// <summary>dx[n,c,s] = (idx[n,s] == c) ? dy[n,s] : 0 (gather form of the max backward).</summary>
public struct ChannelScatterArgs { public ArrayView<int> Indices; public ArrayView<float> DY, DX; public int C, S, N, Chunk; }

/// <summary>dst[n, DstOff + c, s] (+)= src[n, SrcOff + c, s] for c in [0, Count): concat and slice.</summary>
public struct CopyChannelsArgs
{
    public ArrayView<float> Src, Dst;
    public int SrcC, SrcOff, DstC, DstOff, Count, S, Accumulate, N, Chunk;
}

public static class ReductionKernels
{
    public static void Reduce(Index1D i, ReduceArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.Total ? s + a.Chunk : a.Total;
        for (int j = s; j < e; j++)
        {
            // j indexes (o, p, k) of the output.
            int k = j % a.Inner;
            int p = (j / a.Inner) % a.Parts;
            int o = j / (a.Inner * a.Parts);
            int r0 = p * a.RChunk;
            int r1 = r0 + a.RChunk < a.R ? r0 + a.RChunk : a.R;
            float acc = 0f;
            int baseIdx = o * a.R * a.Inner + k;
            if (a.UseY != 0)
                for (int r = r0; r < r1; r++) acc += a.X[baseIdx + r * a.Inner] * a.Y[baseIdx + r * a.Inner];
            else
                for (int r = r0; r < r1; r++) acc += a.X[baseIdx + r * a.Inner];
            a.Out[j] = acc;
        }
    }

    public static void ChannelMax(Index1D i, ChannelMaxArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++)
        {
            int n = j / a.S, sp = j % a.S;
            int b = n * a.C * a.S + sp;
            float best = a.X[b];
            int bi = 0;
            for (int c = 1; c < a.C; c++)
            {
                float v = a.X[b + c * a.S];
                // NaN propagates as the max (as torch.max does).
                if (v > best || (float.IsNaN(v) && !float.IsNaN(best))) { best = v; bi = c; }
            }
            a.Values[j] = best;
            a.Indices[j] = bi;
        }
    }

    public static void ChannelScatter(Index1D i, ChannelScatterArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++)
        {
            int sp = j % a.S;
            int c = (j / a.S) % a.C;
            int n = j / (a.S * a.C);
            int k = n * a.S + sp;
            a.DX[j] = a.Indices[k] == c ? a.DY[k] : 0f;
        }
    }

    public static void CopyChannels(Index1D i, CopyChannelsArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++)
        {
            // j indexes (n, c, sp) of the copied block.
            int sp = j % a.S;
            int c = (j / a.S) % a.Count;
            int n = j / (a.S * a.Count);
            int si = (n * a.SrcC + a.SrcOff + c) * a.S + sp;
            int di = (n * a.DstC + a.DstOff + c) * a.S + sp;
            if (a.Accumulate != 0) a.Dst[di] += a.Src[si];
            else a.Dst[di] = a.Src[si];
        }
    }
}

/// <summary>y[o, r, k] = x[o, k]: the backward of a sum (broadcast back over the reduced rows).</summary>
public struct ExpandArgs { public ArrayView<float> X, Y; public float Scale; public int R, Inner, N, Chunk; }

public static class ExpandKernels
{
    public static void Expand(Index1D i, ExpandArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++)
        {
            int k = j % a.Inner;
            int o = j / (a.Inner * a.R);
            a.Y[j] = a.Scale * a.X[o * a.Inner + k];
        }
    }
}
