using RobustSeg.Engine;
namespace RobustSeg.Data.Transforms;

/// <summary>The pipelines of semseg's train.py: training = RandScale, RandRotate(+-10, mean padding, 255),
/// RandomGaussianBlur, RandomHorizontalFlip, random Crop (mean / 255 padding); validation = centre Crop.
/// ToTensor happens at collation (see DataLoaderOptions.Pixels); normalisation on the device, in the model wrapper.</summary>
public static class SemsegTransforms
{
    public static Compose Train(int cropH, int cropW, double scaleMin = 0.5, double scaleMax = 2.0,
        double rotateMin = -10, double rotateMax = 10, byte ignoreLabel = 255, float[]? padding = null)
    {
        var pad = padding ?? ImageNet.Mean255;
        return new Compose(
            new RandScale(scaleMin, scaleMax),
            new RandRotate(rotateMin, rotateMax, pad, ignoreLabel),
            new RandomGaussianBlur(),
            new RandomHorizontalFlip(),
            new Crop(cropH, cropW, CropType.Random, pad, ignoreLabel));
    }

    public static Compose Val(int cropH, int cropW, byte ignoreLabel = 255, float[]? padding = null) =>
        new(new Crop(cropH, cropW, CropType.Center, padding ?? ImageNet.Mean255, ignoreLabel));
}
