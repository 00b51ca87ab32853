using RobustSeg.Engine.IO;
namespace RobustSeg.Data;

/// <summary>semseg list files: one sample per line, `image_path label_path` (or only `image_path` for
/// inference), paths relative to the data root. Blank lines are skipped.</summary>
public static class ListFile
{
    public static List<SampleEntry> Read(string listPath, string dataRoot)
    {
        if (!File.Exists(listPath)) throw new FileNotFoundException($"list file not found: {listPath}", listPath);
        var entries = new List<SampleEntry>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(listPath))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 2)
                throw new InvalidDataException($"{listPath}:{lineNo}: expected 'image_path [label_path]', got {parts.Length} fields: '{line}'");
            entries.Add(new SampleEntry(Resolve(dataRoot, parts[0]), parts.Length == 2 ? Resolve(dataRoot, parts[1]) : null, listPath, lineNo));
        }
        if (entries.Count == 0) throw new InvalidDataException($"{listPath}: list file has no samples");
        return entries;
    }

    static string Resolve(string root, string p) => string.IsNullOrEmpty(root) ? p : Path.Combine(root, p);

    /// <summary>Writes a list file atomically (paths relative to the root, forward slashes).</summary>
    public static void Write(string listPath, IEnumerable<(string Image, string? Label)> lines) =>
        AtomicFile.WriteAllText(listPath, string.Concat(lines.Select(l => l.Label is null ? l.Image + "\n" : $"{l.Image} {l.Label}\n")));
}
