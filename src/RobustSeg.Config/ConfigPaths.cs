namespace RobustSeg.Config;

/// <summary>The one rule for relative paths in a configuration, applied once when it is loaded, so every
/// command sees the same resolved paths:
/// <list type="bullet">
/// <item>a relative input path written in the file (data_root, lists, names/colors, weights, resume, model_path)
/// is taken relative to the config file's folder when it exists there, otherwise relative to the working
/// directory (semseg's convention, so the original configs work from the repository root);</item>
/// <item>list files (train_list, val_list, test_list) not found that way are also looked up inside data_root;</item>
/// <item>a path given with <c>--set</c> is relative to the working directory (it was typed in the shell);</item>
/// <item>output paths (save_path, save_folder) are relative to the working directory;</item>
/// <item>a path found is made absolute; one not found is kept as written and reported, naming the key, when used.</item>
/// </list></summary>
public static class ConfigPaths
{
    public static void Resolve(RunConfig cfg, ISet<string> fromFile)
    {
        var configDir = File.Exists(cfg.Source) ? Path.GetDirectoryName(Path.GetFullPath(cfg.Source)) : null;
        var keys = ConfigKeys.All.Where(k => k.InputPath).OrderBy(k => k.ListPath); // data_root before the lists
        foreach (var k in keys)
        {
            if (k.Get(cfg) is not string p || string.IsNullOrWhiteSpace(p) || Path.IsPathRooted(p)) continue;
            var bases = new List<string>();
            if (fromFile.Contains(k.FullName) && configDir is not null) bases.Add(configDir);
            bases.Add(Directory.GetCurrentDirectory());
            if (k.ListPath && !string.IsNullOrWhiteSpace(cfg.Data.DataRoot)) bases.Add(cfg.Data.DataRoot);
            var found = bases.Select(b => Path.Combine(b, p)).FirstOrDefault(c => File.Exists(c) || Directory.Exists(c));
            if (found is not null) k.Set(cfg, Path.GetFullPath(found));
        }
    }

    /// <summary>The existing file a key names, or a ConfigException naming the key, the path and the rule.</summary>
    public static string RequireFile(RunConfig cfg, string key, string? hint = null)
    {
        var k = ConfigLoader.Resolve(key, "config");
        var p = k.Get(cfg) as string;
        if (string.IsNullOrWhiteSpace(p)) throw new ConfigException($"{cfg.Source}: {k.FullName} is empty{(hint is null ? "" : $" ({hint})")}");
        if (!File.Exists(p))
            throw new ConfigException($"{cfg.Source}: {k.FullName}: file not found: {p} (relative paths are looked up next to the config file, " +
                $"then in the working directory{(k.ListPath ? ", then in data_root" : "")}){(hint is null ? "" : $"; {hint}")}");
        return p;
    }

    /// <summary>The existing folder a key names, or a ConfigException.</summary>
    public static string RequireDirectory(RunConfig cfg, string key, string? hint = null)
    {
        var k = ConfigLoader.Resolve(key, "config");
        var p = k.Get(cfg) as string;
        if (string.IsNullOrWhiteSpace(p)) throw new ConfigException($"{cfg.Source}: {k.FullName} is empty{(hint is null ? "" : $" ({hint})")}");
        if (!Directory.Exists(p))
            throw new ConfigException($"{cfg.Source}: {k.FullName}: directory not found: {Path.GetFullPath(p)}{(hint is null ? "" : $" ({hint})")}");
        return p;
    }
}
