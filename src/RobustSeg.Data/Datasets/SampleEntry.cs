namespace RobustSeg.Data;

/// <summary>One sample: full image path, optional label path (inference lists have none), and where it came
/// from (list file and 1-based line) so errors can point at it.</summary>
public sealed record SampleEntry(string ImagePath, string? LabelPath, string Source = "", int Line = 0)
{
    public string Describe() => LabelPath is null ? ImagePath : $"{ImagePath} / {LabelPath}";
    public string Where => Line > 0 ? $"{Source}:{Line}" : Source;
}
