using RobustSeg.Engine;

namespace RobustSeg.Data.Transforms;

/// <summary>semseg Normalize on CHW floats on the host: (x - mean) / std per channel, with the engine's
/// <see cref="ImageNet"/> constants.</summary>
public sealed class Normalize(float[] mean, float[] std)
{
    /// <summary>semseg's normalisation of 0..255 pixels.</summary>
    public static Normalize ImageNet255 => new(ImageNet.Mean255, ImageNet.Std255);
    /// <summary>The same normalisation for 0..1 pixels.</summary>
    public static Normalize ImageNet01 => new(ImageNet.Mean01, ImageNet.Std01);

    public float[] Mean { get; } = mean.Length == 3 ? mean : throw new ArgumentException("Normalize mean must have 3 values");
    public float[] Std { get; } = std.Length == 3 && std.All(s => s > 0) ? std : throw new ArgumentException("Normalize std must have 3 positive values");

    /// <summary>Normalises <paramref name="count"/> CHW images of <paramref name="plane"/> pixels in place.</summary>
    public void ApplyChw(float[] data, int count, long plane)
    {
        for (int n = 0; n < count; n++)
            for (int c = 0; c < 3; c++)
            {
                long o = ((long)n * 3 + c) * plane;
                float m = Mean[c], inv = 1f / Std[c];
                for (long p = 0; p < plane; p++) data[o + p] = (data[o + p] - m) * inv;
            }
    }
}
