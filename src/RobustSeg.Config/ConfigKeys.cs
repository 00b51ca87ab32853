using System.Reflection;

namespace RobustSeg.Config;

/// <summary>One key of the schema: its section, its name and the property that holds it.</summary>
public sealed record ConfigKeyInfo(string Section, string Name, PropertyInfo Property, string Help, bool InputPath = false, bool ListPath = false, bool Required = false)
{
    public string FullName => $"{Section}.{Name}";
    public Type ValueType => Property.PropertyType;

    public object GetSection(RunConfig cfg) => Section switch
    {
        "DATA" => cfg.Data,
        "TRAIN" => cfg.Train,
        "Distributed" => cfg.Distributed,
        _ => cfg.Test,
    };

    /// <summary>Whether an empty value is allowed (int?, bool?, string?).</summary>
    public bool IsNullable { get; } = Nullable.GetUnderlyingType(Property.PropertyType) != null
        || new NullabilityInfoContext().Create(Property).WriteState == NullabilityState.Nullable;

    public object? Get(RunConfig cfg) => Property.GetValue(GetSection(cfg));
    public void Set(RunConfig cfg, object? value) => Property.SetValue(GetSection(cfg), value);
}

/// <summary>The schema, read once from the [ConfigKey] attributes of the section classes. Key names are
/// unique across sections (as semseg's flattened config requires), so `--set base_lr=...` is unambiguous.</summary>
public static class ConfigKeys
{
    /// <summary>Section names in file order; "Distributed" keeps the originals' capitalisation.</summary>
    public static readonly string[] Sections = ["DATA", "TRAIN", "Distributed", "TEST"];

    public static readonly IReadOnlyList<ConfigKeyInfo> All = Build();

    static List<ConfigKeyInfo> Build()
    {
        var list = new List<ConfigKeyInfo>();
        void Add(string section, Type t)
        {
            foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                if (p.GetCustomAttribute<ConfigKeyAttribute>() is { } a)
                    list.Add(new ConfigKeyInfo(section, a.Name, p, a.Help, a.InputPath || a.ListPath, a.ListPath, a.Required));
        }
        Add("DATA", typeof(DataSection));
        Add("TRAIN", typeof(TrainSection));
        Add("Distributed", typeof(DistributedSection));
        Add("TEST", typeof(TestSection));
        var dup = list.GroupBy(k => k.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new InvalidOperationException($"config key '{dup.Key}' is declared in two sections");
        return list;
    }

    /// <summary>The canonical section name for a spelling in a file or `--set` (case-insensitive).</summary>
    public static string? CanonicalSection(string name) =>
        Sections.FirstOrDefault(s => string.Equals(s, name, StringComparison.OrdinalIgnoreCase));

    public static ConfigKeyInfo? Find(string section, string name) =>
        All.FirstOrDefault(k => k.Section == section && k.Name == name);

    public static ConfigKeyInfo? Find(string name) => All.FirstOrDefault(k => k.Name == name);

    /// <summary>The known key closest to a misspelt one, for the error message.</summary>
    public static string? Suggest(string name)
    {
        var best = All.Select(k => (k.Name, d: Distance(k.Name, name))).OrderBy(x => x.d).First();
        return best.d <= Math.Max(2, name.Length / 3) ? best.Name : null;
    }

    static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
