using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Training;

/// <summary>DDC-AT's mask-branch targets (DESIGN section 5): for the clean half of the batch a pixel is 1 when the
/// model's routed prediction (argmax of the mask-routed output, eval mode) on the clean image differs from its
/// routed prediction on that image's adversary, else 0 (ignore labels are not excluded); every pixel of the
/// adversarial half is 0. Recomputed every iteration with the current weights.</summary>
public static class MaskTargets
{
    /// <summary>(N, H, W) int32 targets for a batch of N whose first `cleanCount` images are clean.</summary>
    public static Tensor Compute(SegmentationModel model, Tensor clean01, Tensor adv01, int cleanCount, int batch)
    {
        int h = clean01.Size(2), w = clean01.Size(3);
        var targets = new int[(long)batch * h * w];
        if (cleanCount > 0)
        {
            var a = RoutedPrediction(model, clean01, cleanCount);
            var b = RoutedPrediction(model, adv01, cleanCount);
            for (int i = 0; i < a.Length; i++) targets[i] = a[i] != b[i] ? 1 : 0;
        }
        return Tensor.FromArray(clean01.Device, targets, batch, h, w);
    }

    /// <summary>Argmax of the routed output (every head, eval mode) for the first `count` images, on the host.</summary>
    public static int[] RoutedPrediction(SegmentationModel model, Tensor images01, int count)
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
            return F.Argmax(o.Logits).ToIntArray();
        }
        finally { model.Train(wasTraining); }
    }
}
