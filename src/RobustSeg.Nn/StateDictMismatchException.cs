namespace RobustSeg.Nn;

/// <summary>A state dict that does not fit a module: every missing, unexpected and mis-shaped key is listed.</summary>
public sealed class StateDictMismatchException(string source, string module, IReadOnlyList<string> missing,
    IReadOnlyList<string> unexpected, IReadOnlyList<string> misShaped) : Exception(Format(source, module, missing, unexpected, misShaped)),
    RobustSeg.Engine.IUserInputError
{
    public IReadOnlyList<string> Missing { get; } = missing;
    public IReadOnlyList<string> Unexpected { get; } = unexpected;
    public IReadOnlyList<string> MisShaped { get; } = misShaped;

    static string Format(string source, string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misShaped)
    {
        var parts = new List<string> { $"{source} does not match {module}:" };
        if (missing.Count > 0) parts.Add($"  missing keys ({missing.Count}): {Short(missing)}");
        if (unexpected.Count > 0) parts.Add($"  unexpected keys ({unexpected.Count}): {Short(unexpected)}");
        if (misShaped.Count > 0) parts.Add($"  mis-shaped keys ({misShaped.Count}): {Short(misShaped)}");
        return string.Join(Environment.NewLine, parts);
    }

    static string Short(IReadOnlyList<string> keys) =>
        keys.Count <= 20 ? string.Join(", ", keys) : string.Join(", ", keys.Take(20)) + $", ... ({keys.Count - 20} more)";
}
