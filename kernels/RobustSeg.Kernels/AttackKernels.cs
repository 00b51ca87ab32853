using ILGPU;

namespace RobustSeg.Kernels;

/// <summary>One L-inf step of an iterative attack, fused: x' = clip01(clip(x + alpha*dir, x0 - eps, x0 + eps)),
/// where dir = sign(g) (PGD/BIM) or g itself (APGD's raw-direction step, UseSign = 0).</summary>
public struct AttackStepArgs
{
    public ArrayView<float> X, G, X0, Y;
    public float Alpha, Eps;
    public int UseSign, N, Chunk;
}

public static class AttackKernels
{
    public static void Step(Index1D i, AttackStepArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.N ? s + a.Chunk : a.N;
        for (int j = s; j < e; j++) a.Y[j] = AttackMath.Step(a.X[j], a.G[j], a.X0[j], a.Alpha, a.Eps, a.UseSign);
    }
}

public static class AttackMath
{
    public static float Step(float x, float g, float x0, float alpha, float eps, int useSign)
    {
        float dir = useSign != 0 ? (g > 0f ? 1f : (g < 0f ? -1f : 0f)) : g;
        float v = x + alpha * dir;
        float lo = x0 - eps, hi = x0 + eps;
        v = v < lo ? lo : (v > hi ? hi : v);
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }
}
