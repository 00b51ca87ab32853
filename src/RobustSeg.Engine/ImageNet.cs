namespace RobustSeg.Engine;

/// <summary>ImageNet's per-channel statistics (R, G, B), the one set of constants in the project, with the
/// unit in the name: semseg normalises 0..255 pixels with the *255 values; models here are fed [0,1] images
/// (the attacks' space) and normalise with the *01 values. Mean255 is also the padding colour of rotate, crop
/// and the sliding window.</summary>
public static class ImageNet
{
    public static readonly float[] Mean01 = [0.485f, 0.456f, 0.406f];
    public static readonly float[] Std01 = [0.229f, 0.224f, 0.225f];
    public static readonly float[] Mean255 = [0.485f * 255, 0.456f * 255, 0.406f * 255];
    public static readonly float[] Std255 = [0.229f * 255, 0.224f * 255, 0.225f * 255];
}
