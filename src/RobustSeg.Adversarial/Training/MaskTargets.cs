using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Training;

/// <summary>DDC-AT's mask-branch targets (DESIGN section 5): for the clean half of the batch a pixel is 1 when the
/// model's routed prediction (argmax of the mask-routed output, eval mode) on the clean image differs from its
/// routed prediction on that image's adversary, else 0 (ignore labels are not excluded); every pixel of the
/// adversarial half is 0. Recomputed every iteration with the current weights.</summary>
public static class MaskTargets
{
    /// <summary>(N, H, W) int32 targets for a batch of N whose first `cleanCount` images are clean, computed on the
    /// device (no host copy).</summary>
    public static Tensor Compute(SegmentationModel model, Tensor clean01, Tensor adv01, int cleanCount, int batch)
    {
        int h = clean01.Size(2), w = clean01.Size(3);
        if (cleanCount <= 0) return Tensor.ZerosInt(clean01.Device, batch, h, w);
        using var scope = Tensor.Scope();
        var flipped = F.NotEqual(RoutedArgmax(model, clean01, cleanCount), RoutedArgmax(model, adv01, cleanCount));
        // The adversarial half's targets are all 0: pad the clean half's map along the batch axis.
        var targets = batch == cleanCount ? flipped : F.Pad(flipped, 0, 0, batch - cleanCount, 0);
        return targets.KeepAlive();
    }

    /// <summary>Argmax of the routed output (every head, eval mode) for the first `count` images, on the host.</summary>
    public static int[] RoutedPrediction(SegmentationModel model, Tensor images01, int count)
    {
        using var scope = Tensor.Scope();
        return RoutedArgmax(model, images01, count).ToIntArray();
    }

    /// <summary>Argmax of the routed output (every head, eval mode) for the first `count` images: int32 (count, H, W)
    /// on the device, owned by the caller's scope.</summary>
    public static Tensor RoutedArgmax(SegmentationModel model, Tensor images01, int count)
    {
        if (!model.IsDdcat) throw new ArgumentException("mask targets need a DDC-AT model (cls1, cls2, mask1 heads)");
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var scope = Tensor.Scope();
            using var ng = Autograd.NoGrad();
            var x = count == images01.Size(0) ? images01 : F.Narrow(images01, 0, 0, count);
            var o = model.Run(Normalization.Normalize(x), ForwardOptions.Routed);
            return F.Argmax(o.Logits).KeepAlive();
        }
        finally { model.Train(wasTraining); }
    }
}
