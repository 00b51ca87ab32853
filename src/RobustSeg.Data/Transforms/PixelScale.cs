namespace RobustSeg.Data.Transforms;

/// <summary>Units of the delivered image tensor. ImageNet normalisation is not a loader option: it happens on the
/// device inside the model wrapper (Models.Normalization), after the attacks, which perturb [0, 1] pixels.</summary>
public enum PixelScale
{
    /// <summary>Raw pixels 0..255 (semseg before Normalize).</summary>
    Raw255,
    /// <summary>Pixels / 255 in [0, 1]: what the attacks perturb; the model wrapper normalises.</summary>
    Unit,
}
