using RobustSeg.Engine;

namespace RobustSeg.Data.Transforms;

/// <summary>semseg ToTensor: HWC image -> (1,3,H,W) float, label -> (1,H,W) int32 (255 stays 255).</summary>
public static class ToTensor
{
    public static Tensor Image(RgbImage image, Device device, PixelScale pixels = PixelScale.Raw255)
    {
        var chw = image.ToChw(pixels == PixelScale.Unit ? 1f / 255 : 1f);
        if (pixels == PixelScale.ImageNet) Normalize.ImageNet255.ApplyChw(chw, 1, (long)image.Height * image.Width);
        return Tensor.FromArray(device, chw, 1, 3, image.Height, image.Width);
    }

    public static Tensor Label(LabelMap label, Device device)
    {
        var ints = new int[label.Data.Length];
        for (int i = 0; i < ints.Length; i++) ints[i] = label.Data[i];
        return Tensor.FromArray(device, ints, 1, label.Height, label.Width);
    }
}

/// <summary>Units of the delivered image tensor.</summary>
public enum PixelScale
{
    /// <summary>Raw pixels 0..255 (semseg before Normalize).</summary>
    Raw255,
    /// <summary>Pixels / 255 in [0, 1]: what the attacks perturb; the model wrapper normalises.</summary>
    Unit,
    /// <summary>ImageNet-normalised ((x - mean) / std on 0..255), semseg's full pipeline.</summary>
    ImageNet,
}
