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

    /// <summary>PyTorch's default nn.Conv2d / nn.Linear init (reset_parameters): weight kaiming_uniform(a=sqrt(5)),
    /// i.e. U(-b, b) with b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + 5)), so b = 1 / sqrt(fan_in); bias
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)). The original DDC-AT/semseg code leaves its heads at this init.</summary>
    public static void TorchDefault(Tensor weight, Tensor? bias, SeededRandom rng)
    {
        double bound = 1.0 / Math.Sqrt(Math.Max(1, FanIn(weight)));
        Uniform(weight, -bound, bound, rng);
        if (bias is not null) Uniform(bias, -bound, bound, rng);
    }

    /// <summary>in_channels * kernel elements (PyTorch's _calculate_fan_in_and_fan_out).</summary>
    public static long FanIn(Tensor weight)
    {
        var s = weight.ShapeSpan;
        long fanIn = s.Length > 1 ? s[1] : 1;
        for (int i = 2; i < s.Length; i++) fanIn *= s[i];
        return fanIn;
    }

    public static void Uniform(Tensor t, double low, double high, SeededRandom rng)
    {
        if (t.IsShapeOnly) return;                      // a layout only (Tensor.ShapesOnly): nothing to fill
        var v = new float[t.Numel];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(low + (high - low) * rng.NextDouble());
        t.CopyFrom(v);
    }

    public static void Normal(Tensor t, double mean, double std, SeededRandom rng)
    {
        if (t.IsShapeOnly) return;
        var v = new float[t.Numel];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(mean + std * rng.NextNormal());
        t.CopyFrom(v);
    }

    public static void Constant(Tensor t, float value) { if (!t.IsShapeOnly) F.FillInto(t, value); }
}
