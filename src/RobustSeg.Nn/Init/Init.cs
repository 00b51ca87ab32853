using RobustSeg.Engine;

namespace RobustSeg.Nn;

/// <summary>Weight initialisers (torchvision's ResNet recipe).</summary>
public static class Init
{
    /// <summary>Kaiming normal, mode fan_out, ReLU gain: std = sqrt(2 / (outC * kh * kw)).</summary>
    public static void KaimingNormalFanOut(Tensor weight, SeededRandom rng)
    {
        var s = weight.ShapeSpan;
        long fanOut = s[0];
        for (int i = 2; i < s.Length; i++) fanOut *= s[i];
        Normal(weight, 0.0, Math.Sqrt(2.0 / Math.Max(1, fanOut)), rng);
    }

    public static void Normal(Tensor t, double mean, double std, SeededRandom rng)
    {
        var v = new float[t.Numel];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(mean + std * rng.NextNormal());
        t.CopyFrom(v);
    }

    public static void Constant(Tensor t, float value) => F.FillInto(t, value);
}
