namespace RobustSeg.Config;

/// <summary>Marks a section property as the YAML key <paramref name="name"/> (semseg's spelling).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigKeyAttribute(string name, string help = "") : Attribute
{
    public string Name { get; } = name;
    public string Help { get; } = help;
    /// <summary>Must be given (in the file or with --set): semseg's configs always set it and no default fits every dataset.</summary>
    public bool Required { get; init; }
    /// <summary>An input path (a file or folder that must exist when used): resolved by <see cref="ConfigPaths"/>.</summary>
    public bool InputPath { get; init; }
    /// <summary>An input list file: also looked up inside data_root (semseg's list files name paths under it).</summary>
    public bool ListPath { get; init; }
}
