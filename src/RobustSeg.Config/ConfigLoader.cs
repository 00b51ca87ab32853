using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RobustSeg.Config;

/// <summary>Strict YAML reading, the only one in the project: section names are case-insensitive, every key
/// must be known (an unknown one is an error with a did-you-mean suggestion) and every value of the right type;
/// missing keys keep their defaults; `--set` overrides apply after the file; relative paths are then resolved
/// by <see cref="ConfigPaths"/>. Errors name the file, the line and the key.</summary>
public static class ConfigLoader
{
    public static RunConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        if (!File.Exists(path)) throw new ConfigException($"config file not found: {path}");
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException e) { throw new ConfigException($"{path}: cannot read: {e.Message}"); }
        return Parse(text, path, overrides);
    }

    public static RunConfig Parse(string yaml, string source, IEnumerable<string>? overrides = null)
    {
        var cfg = new RunConfig { Source = source };
        var fromFile = new HashSet<string>();
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            throw new ConfigException($"{source}: line {e.Start.Line}: not valid YAML: {e.InnerException?.Message ?? e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this for some unterminated flow collections (e.g. `key: [a` then more keys).
            throw new ConfigException($"{source}: not valid YAML ({e.Message}; an unclosed [ or {{?)");
        }
        if (stream.Documents.Count == 0) throw new ConfigException($"{source}: the file is empty");
        if (stream.Documents.Count > 1) throw new ConfigException($"{source}: expected one YAML document, found {stream.Documents.Count}");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ConfigException($"{source}: expected a mapping of sections (DATA, TRAIN, Distributed, TEST)");

        foreach (var (sk, sv) in root.Children)
        {
            var sectionName = (sk as YamlScalarNode)?.Value ?? "";
            var section = ConfigKeys.CanonicalSection(sectionName)
                ?? throw new ConfigException($"{source}: line {sk.Start.Line}: unknown section '{sectionName}' (expected DATA, TRAIN, Distributed or TEST)");
            if (sv is YamlScalarNode empty && string.IsNullOrEmpty(empty.Value)) continue;
            if (sv is not YamlMappingNode map)
                throw new ConfigException($"{source}: line {sv.Start.Line}: section {section} must be a mapping of keys");
            foreach (var (kk, kv) in map.Children)
            {
                var name = (kk as YamlScalarNode)?.Value ?? "";
                var key = ConfigKeys.Find(section, name);
                if (key == null)
                {
                    var other = ConfigKeys.Find(name);
                    var hint = other != null ? $"; it belongs in section {other.Section}"
                        : ConfigKeys.Suggest(name) is { } s ? $"; did you mean '{s}'?" : "";
                    throw new ConfigException($"{source}: line {kk.Start.Line}: unknown key '{name}' in section {section}{hint}");
                }
                var where = $"{source}: line {kv.Start.Line}: {key.FullName}";
                key.Set(cfg, ConfigValueParser.Convert(kv, key.ValueType, where, key.IsNullable));
                fromFile.Add(key.FullName);
            }
        }
        var given = new HashSet<string>(fromFile);
        if (overrides != null)
            foreach (var o in overrides)
            {
                var k = ApplyOverride(cfg, o).FullName;
                fromFile.Remove(k);
                given.Add(k);
            }
        foreach (var k in ConfigKeys.All.Where(k => k.Required && !given.Contains(k.FullName)))
            throw new ConfigException($"{source}: {k.FullName} is missing ({k.Help}); set it in the file or with --set {k.FullName}=...");
        ConfigPaths.Resolve(cfg, fromFile);
        ConfigValidator.Validate(cfg);
        return cfg;
    }

    /// <summary>`TRAIN.base_lr=0.02` or `base_lr=0.02`; the value is read as YAML (numbers, true/false, [lists], empty = null).</summary>
    public static ConfigKeyInfo ApplyOverride(RunConfig cfg, string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new ConfigException($"--set '{assignment}': expected key=value, e.g. TRAIN.base_lr=0.02");
        var keyText = assignment[..eq].Trim();
        var key = Resolve(keyText, "--set");
        var where = $"--set {key.FullName}";
        var text = assignment[(eq + 1)..];
        // Strings (paths) are taken literally so ':' or '#' in a path needs no quoting on the command line.
        var node = key.ValueType == typeof(string)
            ? new YamlScalarNode(text.Trim()) { Style = text.Trim().Length == 0 ? ScalarStyle.Plain : ScalarStyle.SingleQuoted }
            : ConfigValueParser.ParseValueText(text, where);
        key.Set(cfg, ConfigValueParser.Convert(node, key.ValueType, where, key.IsNullable));
        return key;
    }

    /// <summary>Finds a key by `SECTION.name` or by its (unique) flat name.</summary>
    public static ConfigKeyInfo Resolve(string keyText, string context)
    {
        ConfigKeyInfo? key;
        int dot = keyText.IndexOf('.');
        if (dot >= 0)
        {
            var section = ConfigKeys.CanonicalSection(keyText[..dot])
                ?? throw new ConfigException($"{context} '{keyText}': unknown section '{keyText[..dot]}' (expected DATA, TRAIN, Distributed or TEST)");
            key = ConfigKeys.Find(section, keyText[(dot + 1)..]);
        }
        else key = ConfigKeys.Find(keyText);
        if (key != null) return key;
        var name = dot >= 0 ? keyText[(dot + 1)..] : keyText;
        var other = ConfigKeys.Find(name);
        var hint = other != null ? $"; it is {other.FullName}" : ConfigKeys.Suggest(name) is { } s ? $"; did you mean '{s}'?" : "";
        throw new ConfigException($"{context} '{keyText}': unknown key{hint}");
    }
}
