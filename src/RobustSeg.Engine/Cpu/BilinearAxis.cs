using System.Collections.Concurrent;
using RobustSeg.Kernels;

namespace RobustSeg.Engine.Cpu;

/// <summary>Sampling tables of one axis of a bilinear resize (align_corners=True), built from
/// <see cref="InterpMath"/> so the host path samples exactly as the kernels do. Forward: per output
/// index the two taps and weights. Backward (gather): per input index the contiguous range of outputs
/// that touch it and their weights. Arrays are pinned (pointers stay valid).</summary>
sealed unsafe class BilinearAxis
{
    public readonly int In, Out;
    public readonly int* I0, I1;
    public readonly float* W0, W1;
    /// <summary>Input i receives outputs [Lo[i], Lo[i] + Len[i]) with weights Wt[Off[i] ..].</summary>
    public readonly int* Lo, Len, Off;
    public readonly float* Wt;
    readonly Array[] _keep;

    static readonly ConcurrentDictionary<(int, int), BilinearAxis> Cache = new();

    public static BilinearAxis Get(int inSize, int outSize)
    {
        if (Cache.Count > 512) Cache.Clear(); // sizes vary little in practice; keep the cache bounded
        return Cache.GetOrAdd((inSize, outSize), k => new BilinearAxis(k.Item1, k.Item2));
    }

    static T* Pin<T>(int n, List<Array> keep) where T : unmanaged
    {
        var a = GC.AllocateArray<T>(Math.Max(1, n), pinned: true);
        keep.Add(a);
        fixed (T* p = a) return p; // pinned-heap array: the address never changes
    }

    BilinearAxis(int inSize, int outSize)
    {
        In = inSize; Out = outSize;
        var keep = new List<Array>();
        float scale = InterpMath.Scale(inSize, outSize);
        I0 = Pin<int>(outSize, keep); I1 = Pin<int>(outSize, keep);
        W0 = Pin<float>(outSize, keep); W1 = Pin<float>(outSize, keep);
        Lo = Pin<int>(inSize, keep); Len = Pin<int>(inSize, keep); Off = Pin<int>(inSize, keep);
        var hi = new int[inSize];
        for (int i = 0; i < inSize; i++) { Lo[i] = int.MaxValue; hi[i] = -1; }
        for (int o = 0; o < outSize; o++)
        {
            int i0 = InterpMath.Lower(o, scale, inSize), i1 = InterpMath.Upper(i0, inSize);
            float l = InterpMath.Lambda(o, scale, i0);
            I0[o] = i0; I1[o] = i1; W0[o] = 1f - l; W1[o] = l;
            foreach (var i in (ReadOnlySpan<int>)[i0, i1])
            {
                if (o < Lo[i]) Lo[i] = o;
                if (o > hi[i]) hi[i] = o;
            }
        }
        int total = 0;
        for (int i = 0; i < inSize; i++)
        {
            if (hi[i] < 0) { Lo[i] = 0; Len[i] = 0; }
            else Len[i] = hi[i] - Lo[i] + 1;
            Off[i] = total;
            total += Len[i];
        }
        Wt = Pin<float>(total, keep);
        for (int i = 0; i < inSize; i++)
            for (int k = 0; k < Len[i]; k++)
            {
                int o = Lo[i] + k;
                // Outputs inside the range that do not touch i (none for monotone taps) weigh 0.
                Wt[Off[i] + k] = InterpMath.Touches(o, i, scale, inSize) ? InterpMath.Weight(o, i, scale, inSize) : 0f;
            }
        _keep = keep.ToArray();
    }
}
