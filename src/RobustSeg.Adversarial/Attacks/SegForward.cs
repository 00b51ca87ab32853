using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>A segmentation model as a function of images in [0,1] pixel space (N,3,H,W) returning
/// logits (N,K,H,W). The caller's wrapper normalises and runs the model in eval mode, so attacks never
/// see normalisation or module state.</summary>
public delegate Tensor SegForward(Tensor images01);
