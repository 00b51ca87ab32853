using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace RobustSeg.Data;

/// <summary>The DATA section of a semseg-style YAML config:
/// <code>
/// DATA:
///   data_root: dataset/voc2012     # list entries are relative to this
///   train_list: dataset/voc2012/list/train_aug.txt
///   val_list: dataset/voc2012/list/val.txt
///   classes: 21
///   label_format: auto             # optional: auto | index | cityscapes_labelids
///   max_pixels: 50000000           # optional decode limit
/// </code>
/// Relative paths: data_root is taken relative to the config file's folder when that folder exists, otherwise
/// relative to the current directory (semseg's convention); list paths likewise, then relative to data_root (so a
/// config written next to a dataset works from anywhere). The full training config reuses <see cref="FromMapping"/> for its DATA node.</summary>
public sealed class DataConfig
{
    public required string DataRoot { get; init; }
    public string? TrainList { get; init; }
    public string? ValList { get; init; }
    public required int Classes { get; init; }
    public LabelFormat LabelFormat { get; init; } = LabelFormat.Auto;
    public long MaxPixels { get; init; } = ImageIO.DefaultMaxPixels;
    public int IgnoreLabel { get; init; } = 255;
    /// <summary>The config file this came from (for messages).</summary>
    public string Source { get; init; } = "";

    public static DataConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config file not found: {path}", path);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path}: invalid YAML ({e.Message})", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"{path}: expected a YAML mapping with a DATA section");
        if (!TryGet(root, "DATA", out var data))
            throw new InvalidDataException($"{path}: missing DATA section (expected DATA: data_root, train_list, val_list, classes)");
        if (data is not YamlMappingNode map) throw new InvalidDataException($"{path}: DATA must be a mapping");
        return FromMapping(map, path);
    }

    /// <summary>Parses a DATA mapping; <paramref name="sourcePath"/> is the config file (messages, relative paths).</summary>
    public static DataConfig FromMapping(YamlMappingNode data, string sourcePath)
    {
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(sourcePath)) ?? ".";
        string root = RequireString(data, "data_root", sourcePath);
        root = ResolveAgainst(root, baseDir);
        string? train = OptString(data, "train_list", sourcePath);
        string? val = OptString(data, "val_list", sourcePath);
        int classes = (int)RequireInt(data, "classes", sourcePath, 1, 255);
        var fmt = OptString(data, "label_format", sourcePath) is { } f ? LabelFormats.Parse(f, $"{sourcePath}: DATA.label_format") : LabelFormat.Auto;
        long maxPx = HasValue(data, "max_pixels") ? RequireInt(data, "max_pixels", sourcePath, 1, long.MaxValue) : ImageIO.DefaultMaxPixels;
        int ignore = HasValue(data, "ignore_label") ? (int)RequireInt(data, "ignore_label", sourcePath, 0, 255) : 255;
        return new DataConfig
        {
            DataRoot = root,
            TrainList = train is null ? null : ResolveList(train, baseDir, root),
            ValList = val is null ? null : ResolveList(val, baseDir, root),
            Classes = classes,
            LabelFormat = fmt,
            MaxPixels = maxPx,
            IgnoreLabel = ignore,
            Source = sourcePath,
        };
    }

    /// <summary>The dataset of a split ("train" or "val").</summary>
    public SegDataset Dataset(string split)
    {
        var list = split switch
        {
            "train" => TrainList ?? throw new InvalidDataException($"{Source}: DATA.train_list is not set"),
            "val" => ValList ?? throw new InvalidDataException($"{Source}: DATA.val_list is not set"),
            _ => throw new ArgumentException($"unknown split '{split}' (expected train or val)"),
        };
        return SegDataset.FromList(list, DataRoot, LabelFormat, MaxPixels);
    }

    static string ResolveAgainst(string p, string baseDir)
    {
        if (Path.IsPathRooted(p)) return p;
        var alt = Path.Combine(baseDir, p);
        return Directory.Exists(alt) ? alt : p;
    }

    static string ResolveList(string p, string baseDir, string root)
    {
        if (Path.IsPathRooted(p)) return p;
        var nextToConfig = Path.Combine(baseDir, p);
        if (File.Exists(nextToConfig)) return nextToConfig;
        if (File.Exists(p)) return p;
        var inRoot = Path.Combine(root, p);
        return File.Exists(inRoot) ? inRoot : p; // a missing list is reported when used
    }

    /// <summary>An optional key that is present with a value (an empty `key:` means the default, as the
    /// training config writes it).</summary>
    static bool HasValue(YamlMappingNode map, string key) =>
        TryGet(map, key, out var v) && !(v is YamlScalarNode s && (string.IsNullOrWhiteSpace(s.Value) || s.Value is "~" or "null"));

    static bool TryGet(YamlMappingNode map, string key, out YamlNode value)
    {
        foreach (var kv in map.Children)
            if (kv.Key is YamlScalarNode k && k.Value == key) { value = kv.Value; return true; }
        value = null!;
        return false;
    }

    static string? OptString(YamlMappingNode map, string key, string src)
    {
        if (!TryGet(map, key, out var v)) return null;
        if (v is not YamlScalarNode s) throw new InvalidDataException($"{src}: DATA.{key} must be a string");
        return string.IsNullOrWhiteSpace(s.Value) || s.Value is "~" or "null" ? null : s.Value;
    }

    static string RequireString(YamlMappingNode map, string key, string src) =>
        OptString(map, key, src) ?? throw new InvalidDataException($"{src}: DATA.{key} is missing (expected a path)");

    static long RequireInt(YamlMappingNode map, string key, string src, long min, long max)
    {
        if (!TryGet(map, key, out var v)) throw new InvalidDataException($"{src}: DATA.{key} is missing (expected an integer)");
        if (v is not YamlScalarNode s || !long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            throw new InvalidDataException($"{src}: DATA.{key} must be an integer, got '{(v as YamlScalarNode)?.Value ?? v.NodeType.ToString()}'");
        if (n < min || n > max) throw new InvalidDataException($"{src}: DATA.{key} = {n} is out of range [{min}, {max}]");
        return n;
    }
}
