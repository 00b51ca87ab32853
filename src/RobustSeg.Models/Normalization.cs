using System.Collections.Concurrent;
using RobustSeg.Engine;

namespace RobustSeg.Models;

/// <summary>Models take NORMALISED input. Training, evaluation and attacks work on [0, 1] images and call
/// <see cref="Normalize(Tensor)"/> (differentiable) right before the model: (x - mean) / std per channel with
/// ImageNet statistics (<see cref="ImageNet"/>), the same as semseg's normalisation of 0..255 pixels. The per-channel
/// scale and shift are uploaded once per device, not per call.</summary>
public static class Normalization
{
    static readonly ConcurrentDictionary<Device, (Tensor Scale, Tensor Shift)> Constants = new();

    public static Tensor Normalize(Tensor x01)
    {
        Check(x01, 3);
        var (scale, shift) = Constants.AddOrUpdate(x01.Device, Upload, (d, old) => old.Scale.IsDisposed ? Upload(d) : old);
        return F.AddChannel(F.MulChannel(x01, scale), shift);
    }

    /// <summary>With other statistics (uploaded on each call: for studies, not hot paths).</summary>
    public static Tensor Normalize(Tensor x, float[] mean, float[] std)
    {
        Check(x, mean.Length);
        var scale = Tensor.FromArray(x.Device, std.Select(s => 1f / s).ToArray(), std.Length);
        var shift = Tensor.FromArray(x.Device, mean.Select((m, i) => -m / std[i]).ToArray(), mean.Length);
        return F.AddChannel(F.MulChannel(x, scale), shift);
    }

    static (Tensor, Tensor) Upload(Device d)
    {
        using (Tensor.NoScope())
            return (Tensor.FromArray(d, ImageNet.Std01.Select(s => 1f / s).ToArray(), 3).Persist(),
                    Tensor.FromArray(d, ImageNet.Mean01.Select((m, i) => -m / ImageNet.Std01[i]).ToArray(), 3).Persist());
    }

    static void Check(Tensor x, int c)
    {
        if (x.Rank != 4 || x.Size(1) != c) throw new ArgumentException($"normalize: expected (N, {c}, H, W), got {x.ShapeString}");
    }
}
