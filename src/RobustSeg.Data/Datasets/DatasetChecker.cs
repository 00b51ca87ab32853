namespace RobustSeg.Data;

public enum DataProblemKind { MissingImage, MissingLabel, UnreadableImage, UnreadableLabel, TooLarge, SizeMismatch, BadLabelValues }

/// <summary>One problem found by the checker, naming the file and the list line.</summary>
public sealed record DataProblem(DataProblemKind Kind, string Path, string Where, string Message)
{
    public override string ToString() => $"{Kind}: {Path}{(Where.Length > 0 ? $" ({Where})" : "")}: {Message}";
}

public sealed class DataCheckReport
{
    public int Samples { get; init; }
    public int LabelledSamples { get; init; }
    public required List<DataProblem> Problems { get; init; }
    /// <summary>Pixels per label value over all readable labels (index 0..255).</summary>
    public required long[] LabelHistogram { get; init; }
    public bool Ok => Problems.Count == 0;
    public int Count(DataProblemKind kind) => Problems.Count(p => p.Kind == kind);
}

/// <summary>Walks a dataset and reports every missing file, undecodable image or label, oversized image,
/// image/label size mismatch and label value outside [0, classes) u {ignore}, with counts. Samples are checked in
/// parallel; the report keeps the dataset order.</summary>
public static class DatasetChecker
{
    public static DataCheckReport Check(SegDataset dataset, int classes, int ignoreLabel = 255, int maxDegreeOfParallelism = -1)
    {
        if (classes < 1 || classes > 255) throw new ArgumentException($"classes must be in [1, 255], got {classes}");
        var perSample = new List<DataProblem>[dataset.Count];
        var hists = new long[dataset.Count][];
        Parallel.For(0, dataset.Count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, i =>
        {
            var (problems, hist) = CheckOne(dataset, i, classes, ignoreLabel);
            perSample[i] = problems;
            hists[i] = hist ?? [];
        });
        var histogram = new long[256];
        foreach (var h in hists)
            for (int v = 0; v < h.Length; v++) histogram[v] += h[v];
        return new DataCheckReport
        {
            Samples = dataset.Count,
            LabelledSamples = dataset.Entries.Count(e => e.LabelPath is not null),
            Problems = perSample.SelectMany(p => p).ToList(),
            LabelHistogram = histogram,
        };
    }

    static (List<DataProblem>, long[]?) CheckOne(SegDataset ds, int i, int classes, int ignore)
    {
        var e = ds.Entries[i];
        var problems = new List<DataProblem>();
        (int W, int H)? imgSize = null;
        if (!File.Exists(e.ImagePath)) problems.Add(new(DataProblemKind.MissingImage, e.ImagePath, e.Where, "image file not found"));
        else
        {
            try
            {
                var img = ImageIO.ReadRgb(e.ImagePath, ds.MaxPixels);
                imgSize = (img.Width, img.Height);
            }
            catch (ImageTooLargeException x) { problems.Add(new(DataProblemKind.TooLarge, e.ImagePath, e.Where, Strip(x))); }
            catch (Exception x) when (x is DataFileException or IOException or UnauthorizedAccessException)
            { problems.Add(new(DataProblemKind.UnreadableImage, e.ImagePath, e.Where, Strip(x))); }
        }
        if (e.LabelPath is null) return (problems, null);
        if (!File.Exists(e.LabelPath)) { problems.Add(new(DataProblemKind.MissingLabel, e.LabelPath, e.Where, "label file not found")); return (problems, null); }
        LabelMap label;
        try { label = LabelIO.Read(e.LabelPath, ds.MaxPixels, LabelFormats.LutFor(ds.LabelFormat, e.LabelPath)); }
        catch (ImageTooLargeException x) { problems.Add(new(DataProblemKind.TooLarge, e.LabelPath, e.Where, Strip(x))); return (problems, null); }
        catch (Exception x) when (x is DataFileException or IOException or UnauthorizedAccessException)
        {
            problems.Add(new(DataProblemKind.UnreadableLabel, e.LabelPath, e.Where, Strip(x)));
            return (problems, null);
        }
        if (imgSize is { } s && (s.W != label.Width || s.H != label.Height))
            problems.Add(new(DataProblemKind.SizeMismatch, e.LabelPath, e.Where,
                $"label is {label.Width}x{label.Height} but image {e.ImagePath} is {s.W}x{s.H}"));
        var hist = new long[256];
        foreach (var v in label.Data) hist[v]++;
        var bad = Enumerable.Range(0, 256).Where(v => hist[v] > 0 && v >= classes && v != ignore).ToList();
        if (bad.Count > 0)
            problems.Add(new(DataProblemKind.BadLabelValues, e.LabelPath, e.Where,
                $"{bad.Sum(v => hist[v])} pixels with values outside [0, {classes}) and {ignore}: " +
                string.Join(", ", bad.Select(v => $"{v} (x{hist[v]})"))));
        return (problems, hist);
    }

    /// <summary>The message without the leading "path: " (the problem line names the path already).</summary>
    static string Strip(Exception x) => x is DataFileException d && x.Message.StartsWith(d.Path + ": ", StringComparison.Ordinal)
        ? x.Message[(d.Path.Length + 2)..] : x.Message;

    /// <summary>Human-readable report: each problem (up to <paramref name="maxLines"/>), counts per kind, and the
    /// label value histogram.</summary>
    public static void Print(DataCheckReport r, TextWriter o, string title, int maxLines = 50)
    {
        o.WriteLine($"{title}: {r.Samples} samples ({r.LabelledSamples} with labels)");
        foreach (var p in r.Problems.Take(maxLines)) o.WriteLine("  " + p);
        if (r.Problems.Count > maxLines) o.WriteLine($"  ... and {r.Problems.Count - maxLines} more problems");
        foreach (var kind in Enum.GetValues<DataProblemKind>())
        {
            int n = r.Count(kind);
            if (n > 0) o.WriteLine($"  {kind}: {n}");
        }
        var used = Enumerable.Range(0, 256).Where(v => r.LabelHistogram[v] > 0).ToList();
        if (used.Count > 0)
            o.WriteLine("  label values (pixels): " + string.Join(", ", used.Select(v => $"{v}:{r.LabelHistogram[v]}")));
        o.WriteLine(r.Ok ? "  OK: no problems found" : $"  FAILED: {r.Problems.Count} problems");
    }
}
