using RobustSeg.Engine.IO;
using System.Globalization;

namespace RobustSeg.Adversarial.Training;

/// <summary>The per-iteration CSV log (IterationRecord.CsvHeader). A resumed run keeps the rows up to the
/// checkpoint's iteration and appends after them, so the file reads like one uninterrupted run.</summary>
public sealed class TrainLog : IDisposable
{
    readonly StreamWriter _w;
    public string Path { get; }

    public TrainLog(string path, long keepUpToIteration = 0)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var kept = new List<string>();
        if (keepUpToIteration > 0 && File.Exists(path))
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var first = line.Split(',')[0];
                if (long.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var it) && it <= keepUpToIteration) kept.Add(line);
            }
        // Rewritten atomically so a crash here never loses the kept rows; rows are then appended one per iteration.
        AtomicFile.WriteAllText(path, string.Concat(new[] { IterationRecord.CsvHeader }.Concat(kept).Select(l => l + "\n")));
        _w = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { NewLine = "\n" };
    }

    public void Write(IterationRecord r)
    {
        _w.WriteLine(r.ToCsv());
        _w.Flush();
    }

    public void Dispose() => _w.Dispose();

    /// <summary>Reads a log back (tests, the reproduce table).</summary>
    public static List<string[]> Read(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
}
