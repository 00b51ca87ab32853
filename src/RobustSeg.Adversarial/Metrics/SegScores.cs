namespace RobustSeg.Adversarial.Metrics;

/// <summary>Per-class and summary scores of a segmentation run.</summary>
public sealed record SegScores(double[] IoU, double[] Accuracy, double MeanIoU, double MeanAccuracy, double AllAccuracy,
    long[] Intersection, long[] Union, long[] Target);
