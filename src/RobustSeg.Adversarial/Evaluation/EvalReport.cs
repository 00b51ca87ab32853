using RobustSeg.Engine.IO;
using System.Globalization;
using CsvHelper;
using RobustSeg.Adversarial.Metrics;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Console table and CSV files of an evaluation.</summary>
public static class EvalReport
{
    public static string Table(SegScores s, string[]? names = null)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{"class",-16} {"IoU",8} {"acc",8}");
        for (int c = 0; c < s.IoU.Length; c++)
            sb.AppendLine($"{Name(names, c),-16} {s.IoU[c],8:F4} {s.Accuracy[c],8:F4}");
        sb.AppendLine($"mIoU/mAcc/allAcc {s.MeanIoU:F4}/{s.MeanAccuracy:F4}/{s.AllAccuracy:F4}");
        return sb.ToString();
    }

    static string Name(string[]? names, int c) => names is not null && c < names.Length ? names[c] : $"class_{c}";

    sealed record MetricsRow(string Attack, string Protocol, string Eps, int Steps, int Images, double MIoU, double MAcc, double AllAcc);
    sealed record ClassRow(int Class, string Name, double IoU, double Acc, long Intersection, long Union, long Target);

    public static void WriteCsv(string dir, SegScores s, EvalSettings settings, int images)
    {
        Directory.CreateDirectory(dir);
        var atk = settings.Attack?.Name ?? "none";
        var row = new MetricsRow(atk, settings.Attack is null ? "" : settings.Protocol.ToString().ToLowerInvariant(),
            settings.Attack is null ? "" : settings.AttackOptions.Eps.ToString("R", CultureInfo.InvariantCulture),
            settings.Attack is null ? 0 : settings.AttackOptions.Steps, images, s.MeanIoU, s.MeanAccuracy, s.AllAccuracy);
        Write(Path.Combine(dir, "metrics.csv"), [row]);
        Write(Path.Combine(dir, "per_class.csv"), Enumerable.Range(0, s.IoU.Length)
            .Select(c => new ClassRow(c, Name(settings.ClassNames, c), s.IoU[c], s.Accuracy[c], s.Intersection[c], s.Union[c], s.Target[c])).ToList());
    }

    /// <summary>CSV with a header row, written atomically.</summary>
    public static void Write<T>(string path, IEnumerable<T> rows) => AtomicFile.Write(path, s =>
    {
        using var w = new StreamWriter(s, leaveOpen: true);
        using var csv = new CsvWriter(w, CultureInfo.InvariantCulture);
        csv.WriteRecords(rows);
    });
}
