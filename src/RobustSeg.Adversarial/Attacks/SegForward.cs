using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>A segmentation model as a function of images in [0,1] pixel space (N,3,H,W) returning
/// logits (N,K,H,W). The caller's wrapper normalises and runs the model in eval mode, so attacks never
/// see normalisation or module state.</summary>
public delegate Tensor SegForward(Tensor images01);

public static class SegForwardExtensions
{
    /// <summary>Wraps a model that takes normalised input: x01 * 255 is normalised per channel with
    /// (v - mean) / std (ImageNet statistics in 0..255 units, as semseg does).</summary>
    public static SegForward FromNormalised(Func<Tensor, Tensor> model, float[] mean, float[] std)
    {
        if (mean.Length != 3 || std.Length != 3) throw new ArgumentException("mean and std need 3 values (RGB)");
        var scale = new float[3];
        var shift = new float[3];
        for (int c = 0; c < 3; c++) { scale[c] = 255f / std[c]; shift[c] = -mean[c] / std[c]; }
        Tensor? s = null, b = null;
        return x =>
        {
            if (s is null || s.Device != x.Device || s.IsDisposed)
            {
                s = Tensor.FromArray(x.Device, scale, 3).Persist();
                b = Tensor.FromArray(x.Device, shift, 3).Persist();
            }
            return model(Normalise(x, s, b!));
        };
    }

    /// <summary>(x01 * scale[c]) + shift[c] on the tape, so gradients flow back to [0,1] space.</summary>
    public static Tensor Normalise(Tensor x01, Tensor scale, Tensor shift) => F.AddChannel(F.MulChannel(x01, scale), shift);

    /// <summary>ImageNet mean and std in 0..255 units (semseg's values).</summary>
    public static readonly float[] ImageNetMean = [0.485f * 255, 0.456f * 255, 0.406f * 255];
    public static readonly float[] ImageNetStd = [0.229f * 255, 0.224f * 255, 0.225f * 255];
}
