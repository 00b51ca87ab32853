using ILGPU;

namespace RobustSeg.Kernels;

/// <summary>Mask of Dropout2d: M[k] = 0 with probability P else Scale, k = n*C + c. The draw is the
/// counter-based hash, so every device drops the same channels for a seed.</summary>
public struct DropoutMaskArgs { public ArrayView<float> M; public ulong Seed; public float P, Scale; public int N, Chunk; }

public static class DropoutKernels
{
    public static void DropoutMask(Index1D i, DropoutMaskArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.N ? st + a.Chunk : a.N;
        for (int j = st; j < e; j++)
            a.M[j] = ElementwiseMath.HashUniform(a.Seed, j) < a.P ? 0f : a.Scale;
    }
}
