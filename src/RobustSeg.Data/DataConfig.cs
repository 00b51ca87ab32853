using RobustSeg.Config;

namespace RobustSeg.Data;

/// <summary>The datasets a configuration names: a view over its DATA and TEST sections (already read and
/// path-resolved by <see cref="ConfigLoader"/>; nothing here parses YAML). Errors name the config file and the key.</summary>
public sealed class DataConfig
{
    readonly RunConfig _cfg;

    public DataConfig(RunConfig cfg) => _cfg = cfg;

    public static DataConfig From(RunConfig cfg) => new(cfg);

    /// <summary>Reads a config file through the project's one loader.</summary>
    public static DataConfig Load(string path, IEnumerable<string>? overrides = null) => new(RunConfig.Load(path, overrides));

    public RunConfig Config => _cfg;
    public string DataRoot => _cfg.Data.DataRoot;
    public string? TrainList => Opt(_cfg.Data.TrainList);
    public string? ValList => Opt(_cfg.Data.ValList);
    /// <summary>TEST.test_list, or DATA.val_list when that is empty.</summary>
    public string? TestList => Opt(_cfg.Test.TestList) ?? ValList;
    public int Classes => _cfg.Data.Classes;
    public LabelFormat LabelFormat => LabelFormats.Parse(_cfg.Data.LabelFormat, $"{_cfg.Source}: DATA.label_format");
    public long MaxPixels => _cfg.Data.MaxPixels ?? ImageIO.DefaultMaxPixels;
    public int IgnoreLabel => _cfg.Train.IgnoreLabel;
    public string Source => _cfg.Source;

    /// <summary>The list file of a split: "train", "val" or "test" (TEST.test_list, else val_list).</summary>
    public string ListOf(string split) => split switch
    {
        "train" => ConfigPaths.RequireFile(_cfg, "DATA.train_list"),
        "val" => ConfigPaths.RequireFile(_cfg, "DATA.val_list"),
        "test" => ConfigPaths.RequireFile(_cfg, Opt(_cfg.Test.TestList) is null ? "DATA.val_list" : "TEST.test_list"),
        _ => throw new ArgumentException($"unknown split '{split}' (expected train, val or test)"),
    };

    /// <summary>The dataset of a split. "test" also applies TEST.index_start / index_step (semseg's list slice).</summary>
    public SegDataset Dataset(string split)
    {
        var list = ListOf(split);
        var root = ConfigPaths.RequireDirectory(_cfg, "DATA.data_root",
            "for the synthetic configs: `robustseg data synth --out DIR`, then --set data_root=DIR");
        var ds = SegDataset.FromList(list, root, LabelFormat, MaxPixels);
        if (split != "test" || (_cfg.Test.IndexStart == 0 && _cfg.Test.IndexStep == 0)) return ds;
        int start = Math.Min(_cfg.Test.IndexStart, ds.Count);
        int end = _cfg.Test.IndexStep == 0 ? ds.Count : Math.Min(start + _cfg.Test.IndexStep, ds.Count);
        if (end <= start)
            throw new ConfigException($"{_cfg.Source}: TEST.index_start = {_cfg.Test.IndexStart} leaves no image of the {ds.Count} in {list}");
        return new SegDataset(ds.Entries.Skip(start).Take(end - start).ToList(), ds.LabelFormat, ds.MaxPixels);
    }

    /// <summary>Class names for tables: TEST.names_path (one per line, semseg's *_names.txt), else a
    /// class_names.txt in data_root (the synthetic dataset writes one), else VOC's or Cityscapes' names when the
    /// class count matches; null when none is known. A names file with the wrong count is an error naming it.</summary>
    public string[]? ClassNames()
    {
        string? path = Opt(_cfg.Test.NamesPath) is null ? null : ConfigPaths.RequireFile(_cfg, "TEST.names_path");
        if (path is null && Directory.Exists(DataRoot) && File.Exists(Path.Combine(DataRoot, "class_names.txt"))) path = Path.Combine(DataRoot, "class_names.txt");
        if (path is null) return Classes == Voc.ClassNames.Length ? Voc.ClassNames : Classes == Data.Cityscapes.ClassNames.Length ? Data.Cityscapes.ClassNames : null;
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != Classes) throw new DataFileException(path, $"has {names.Length} class names but DATA.classes = {Classes}");
        return names;
    }

    /// <summary>The prediction palette (256 RGB triples): TEST.colors_path (one `r g b` line per class, semseg's
    /// *_colors.txt), else Cityscapes' colours for 19 classes and VOC's map otherwise.</summary>
    public byte[] Palette()
    {
        if (Opt(_cfg.Test.ColorsPath) is null) return Palettes.ForClasses(Classes);
        var path = ConfigPaths.RequireFile(_cfg, "TEST.colors_path");
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (lines.Length < Classes) throw new DataFileException(path, $"has {lines.Length} colours but DATA.classes = {Classes}");
        var p = new byte[768];
        for (int i = 0; i < Math.Min(lines.Length, 255); i++)
        {
            var parts = lines[i].Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || !parts.All(s => byte.TryParse(s, out _)))
                throw new DataFileException(path, $"line {i + 1}: expected three integers 0..255 (r g b), got '{lines[i]}'");
            for (int c = 0; c < 3; c++) p[i * 3 + c] = byte.Parse(parts[c]);
        }
        return p;
    }

    static string? Opt(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
