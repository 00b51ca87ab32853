namespace RobustSeg.Config;

/// <summary>A whole configuration (the four sections of semseg's YAML files) and where it came from.</summary>
public sealed class RunConfig
{
    public DataSection Data { get; set; } = new();
    public TrainSection Train { get; set; } = new();
    public DistributedSection Distributed { get; set; } = new();
    public TestSection Test { get; set; } = new();

    /// <summary>The file it was read from (or a description), for error messages.</summary>
    public string Source { get; set; } = "<defaults>";

    /// <summary>Reads a file and applies `--set` overrides, then validates. Errors are ConfigException.</summary>
    public static RunConfig Load(string path, IEnumerable<string>? overrides = null) => ConfigLoader.Load(path, overrides);

    public static RunConfig Parse(string yaml, string source = "<string>", IEnumerable<string>? overrides = null) =>
        ConfigLoader.Parse(yaml, source, overrides);

    /// <summary>Applies one `key=value` override (TRAIN.base_lr=0.02 or base_lr=0.02) and re-validates.</summary>
    public void Set(string assignment)
    {
        ConfigLoader.ApplyOverride(this, assignment);
        ConfigPaths.Resolve(this, new HashSet<string>());
        ConfigValidator.Validate(this);
    }

    /// <summary>The value of a key by its flat or dotted name.</summary>
    public object? Get(string key) => ConfigLoader.Resolve(key, "get").Get(this);

    public RunConfig Clone() => Parse(ToYaml(), Source);

    public string ToYaml() => ConfigWriter.ToYaml(this);

    /// <summary>Writes the resolved configuration atomically (temp file + rename).</summary>
    public void Save(string path)
    {
        RobustSeg.Engine.IO.AtomicFile.WriteAllText(path, ToYaml());
    }
}
