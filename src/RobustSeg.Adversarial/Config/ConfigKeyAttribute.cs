namespace RobustSeg.Adversarial.Config;

/// <summary>Marks a section property as the YAML key <paramref name="name"/> (semseg's spelling).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigKeyAttribute(string name, string help = "") : Attribute
{
    public string Name { get; } = name;
    public string Help { get; } = help;
}
