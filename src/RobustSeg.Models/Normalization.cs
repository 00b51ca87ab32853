using RobustSeg.Engine;

namespace RobustSeg.Models;

/// <summary>Models take NORMALISED input. Attacks and training work on [0, 1] images and call
/// <see cref="Normalize"/> (differentiable) right before the model: (x - mean) / std per channel with
/// ImageNet statistics, the same as semseg's normalisation of 0..255 pixels with mean*255 / std*255.</summary>
public static class Normalization
{
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    public static Tensor Normalize(Tensor x01) => Normalize(x01, ImageNetMean, ImageNetStd);

    public static Tensor Normalize(Tensor x, float[] mean, float[] std)
    {
        if (x.Rank != 4 || x.Size(1) != mean.Length)
            throw new ArgumentException($"normalize: expected (N, {mean.Length}, H, W), got {x.ShapeString}");
        var scale = Tensor.FromArray(x.Device, std.Select(s => 1f / s).ToArray(), std.Length);
        var shift = Tensor.FromArray(x.Device, mean.Select((m, i) => -m / std[i]).ToArray(), mean.Length);
        return F.AddChannel(F.MulChannel(x, scale), shift);
    }
}
