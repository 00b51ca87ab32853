namespace RobustSeg.Data.Transforms;

/// <summary>semseg Normalize on CHW floats: (x - mean) / std per channel. The ImageNet constants are public in
/// both units: 0..255 (what semseg applies to raw pixels) and 0..1 (for models fed [0,1] images, as the attacks
/// work in [0,1] pixel space and the model wrapper normalises).</summary>
public sealed class Normalize(float[] mean, float[] std)
{
    /// <summary>ImageNet mean in 0..1 units (R, G, B).</summary>
    public static readonly float[] Mean01 = [0.485f, 0.456f, 0.406f];
    /// <summary>ImageNet std in 0..1 units (R, G, B).</summary>
    public static readonly float[] Std01 = [0.229f, 0.224f, 0.225f];
    /// <summary>ImageNet mean in 0..255 units: also the padding colour of rotate and crop.</summary>
    public static readonly float[] Mean255 = [0.485f * 255, 0.456f * 255, 0.406f * 255];
    /// <summary>ImageNet std in 0..255 units.</summary>
    public static readonly float[] Std255 = [0.229f * 255, 0.224f * 255, 0.225f * 255];

    /// <summary>semseg's normalisation of 0..255 pixels.</summary>
    public static Normalize ImageNet255 => new(Mean255, Std255);
    /// <summary>The same normalisation for 0..1 pixels.</summary>
    public static Normalize ImageNet01 => new(Mean01, Std01);

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
