namespace RobustSeg.Adversarial.Evaluation;

/// <summary>One test image: planar RGB (3,H,W) in [0,1] and its (H,W) label (255 = ignore).</summary>
public sealed record EvalSample(string Name, float[] Image01, int Height, int Width, int[] Label)
{
    /// <summary>The label file (for error messages), when the sample came from a dataset.</summary>
    public string? LabelPath { get; init; }
    /// <summary>The sample's index in the whole list when a process evaluates a shard of it (seeds and outputs
    /// follow the list index, not the shard's); -1: its position in the evaluated sequence.</summary>
    public int Index { get; init; } = -1;

    public void Validate()
    {
        if (Image01.Length != 3L * Height * Width) throw new ArgumentException($"{Name}: image has {Image01.Length} values, expected 3x{Height}x{Width}");
        if (Label.Length != (long)Height * Width) throw new ArgumentException($"{Name}: label has {Label.Length} values, expected {Height}x{Width}");
    }
}
