using System.Globalization;
using RobustSeg.Data;
using YamlDotNet.RepresentationModel;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>The config values evaluation needs: DATA (through the data project's reader: paths, classes,
/// label format) and TEST base_size / test_h / test_w / save_folder plus TRAIN.ignore_label. A narrow
/// reader so the commands do not depend on the full training config classes; other keys are ignored here
/// (the training config loader validates them).</summary>
public sealed record EvalConfig
{
    public required DataConfig Data { get; init; }
    public int BaseSize { get; init; } = 512;
    public int TestH { get; init; } = 473;
    public int TestW { get; init; } = 473;
    public int IgnoreLabel { get; init; } = 255;
    public string? SaveFolder { get; init; }
    public string Source { get; init; } = "";
    public int Classes => Data.Classes;

    public static EvalConfig Load(string path)
    {
        var data = DataConfig.Load(path);
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var test = Section(root, "TEST");
        var train = Section(root, "TRAIN");
        var cfg = new EvalConfig
        {
            Data = data, Source = path,
            BaseSize = Int(test, "base_size", path, "TEST") ?? 512,
            TestH = Int(test, "test_h", path, "TEST") ?? 473,
            TestW = Int(test, "test_w", path, "TEST") ?? 473,
            IgnoreLabel = Int(train, "ignore_label", path, "TRAIN") ?? 255,
            SaveFolder = Str(test, "save_folder"),
        };
        if (cfg.BaseSize < 1) throw new InvalidDataException($"{path}: TEST.base_size = {cfg.BaseSize}: expected a positive size");
        foreach (var (k, v) in new[] { ("test_h", cfg.TestH), ("test_w", cfg.TestW) })
            if (v < 9 || (v - 1) % 8 != 0)
                throw new InvalidDataException($"{path}: TEST.{k} = {v}: the models need (size - 1) % 8 == 0 (e.g. 473, 449, 65)");
        return cfg;
    }

    static YamlMappingNode? Section(YamlMappingNode root, string name)
    {
        foreach (var kv in root.Children)
            if (kv.Key is YamlScalarNode k && string.Equals(k.Value, name, StringComparison.OrdinalIgnoreCase))
                return kv.Value as YamlMappingNode;
        return null;
    }

    static string? Str(YamlMappingNode? map, string key)
    {
        if (map is null) return null;
        foreach (var kv in map.Children)
            if (kv.Key is YamlScalarNode k && k.Value == key)
                return kv.Value is YamlScalarNode s && !string.IsNullOrWhiteSpace(s.Value) && s.Value is not ("~" or "null") ? s.Value : null;
        return null;
    }

    static int? Int(YamlMappingNode? map, string key, string path, string section)
    {
        var s = Str(map, key);
        if (s is null) return null;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new InvalidDataException($"{path}: {section}.{key} must be an integer, got '{s}'");
    }
}
