namespace RobustSeg.Data;

/// <summary>A sample that failed to load or augment in a loader worker, rethrown in the consuming loop. The
/// message names the sample's files and list line; the original error is the inner exception. A user-input error
/// when the original one is (a damaged file), else the bug it wraps shows as one (CliRunner looks inside).</summary>
public sealed class DataLoadException(SampleEntry entry, int index, Exception inner)
    : FormatException($"sample {index} ({entry.Describe()}{(entry.Line > 0 ? $", {entry.Where}" : "")}): {inner.Message}", inner),
      RobustSeg.Engine.IUserInputError
{
    public SampleEntry Entry { get; } = entry;
    public int Index { get; } = index;
}
