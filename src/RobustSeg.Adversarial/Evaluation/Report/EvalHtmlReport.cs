using System.Globalization;
using RobustSeg.Adversarial.Evaluation.Sweep;
using RobustSeg.Adversarial.Metrics;
using RobustSeg.Plots;

namespace RobustSeg.Adversarial.Evaluation.Report;

/// <summary>report.html of `test --report` and `reproduce`: the command and config, the metrics table, the robustness
/// plot, per-class tables in the dataset's class names and colours, and the gallery (image, label, clean prediction,
/// adversarial prediction, perturbation), every picture a file beside the page.</summary>
public static class EvalHtmlReport
{
    public const string FileName = "report.html";

    /// <summary>What a report shows. <paramref name="PerClass"/>: per checkpoint, the runs' scores in column order.
    /// <paramref name="Gallery"/>: per gallery block (checkpoint), the clean and the featured attacked run's sinks.</summary>
    public sealed record Content(
        string Title, string Command, string Setup, string? ConfigYaml,
        IReadOnlyList<RobustnessRow> Rows, string? RobustnessPlot,
        IReadOnlyList<(string Checkpoint, IReadOnlyList<(string Run, SegScores Scores)> Runs)> PerClass,
        string[]? ClassNames, byte[] Palette,
        IReadOnlyList<(string Heading, GallerySink Clean, GallerySink? Attacked)> Gallery,
        IReadOnlyList<FigureSection>? ExtraFigures = null);

    public static string Write(string dir, Content c)
    {
        var sections = new List<ReportSection>
        {
            new TextSection("Command", c.Command),
            new TextSection("Setup", c.Setup),
            MetricsTable(c.Rows),
        };
        if (c.RobustnessPlot is not null)
            sections.Add(new FigureSection("Robustness", c.RobustnessPlot, "mIoU against the L-inf radius (in 1/255); each line starts at the checkpoint's clean mIoU at eps 0"));
        foreach (var (ck, runs) in c.PerClass) sections.Add(PerClassTable(ck, runs, c.ClassNames, c.Palette));
        foreach (var g in c.Gallery) sections.Add(Gallery(g.Heading, g.Clean, g.Attacked));
        if (c.ExtraFigures is not null) sections.AddRange(c.ExtraFigures);
        if (c.ConfigYaml is not null) sections.Add(new TextSection("Config", c.ConfigYaml));
        var path = Path.Combine(dir, FileName);
        HtmlReport.Write(path, c.Title, sections);
        return path;
    }

    static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);

    public static TableSection MetricsTable(IReadOnlyList<RobustnessRow> rows) => new("Metrics",
        ["checkpoint", "attack", "protocol", "eps (/255)", "steps", "images", "mIoU", "mAcc", "allAcc"],
        rows.Select(r => new ReportCell[]
        {
            r.Checkpoint, r.Attack, r.Protocol, r.Attack == "none" ? "0" : r.Eps255.ToString("0.##", CultureInfo.InvariantCulture),
            r.Steps.ToString(CultureInfo.InvariantCulture), r.Images.ToString(CultureInfo.InvariantCulture), F(r.MIoU), F(r.MAcc), F(r.AllAcc),
        }).ToList());

    public static TableSection PerClassTable(string checkpoint, IReadOnlyList<(string Run, SegScores Scores)> runs, string[]? names, byte[] palette)
    {
        int k = runs.Count == 0 ? 0 : runs[0].Scores.IoU.Length;
        var rows = new List<ReportCell[]>();
        for (int c = 0; c < k; c++)
        {
            var row = new List<ReportCell> { new(names is not null && c < names.Length ? names[c] : $"class_{c}", palette[(3 * c)..(3 * c + 3)]) };
            foreach (var (_, s) in runs) { row.Add(F(s.IoU[c])); row.Add(F(s.Accuracy[c])); }
            rows.Add(row.ToArray());
        }
        var header = new List<string> { "class" };
        foreach (var (run, _) in runs) { header.Add($"IoU {run}"); header.Add($"acc {run}"); }
        return new TableSection($"Per class: {checkpoint}", header.ToArray(), rows);
    }

    public static GallerySection Gallery(string heading, GallerySink clean, GallerySink? attacked)
    {
        var cols = attacked is null ? new[] { "image", "label", "clean prediction" }
            : ["image", "label", "clean prediction", $"adversarial prediction ({attacked.Key})", "perturbation (amplified to ±eps)"];
        var rows = clean.Stems.Select(kv =>
        {
            var stem = kv.Value;
            string?[] files = attacked is null
                ? [GallerySink.Image(stem), GallerySink.Label(stem), GallerySink.Prediction(stem, clean.Key)]
                : [GallerySink.Image(stem), GallerySink.Label(stem), GallerySink.Prediction(stem, clean.Key),
                   attacked.Stems.ContainsKey(kv.Key) ? GallerySink.Prediction(stem, attacked.Key) : null,
                   attacked.HasPerturbation(kv.Key) ? GallerySink.Perturbation(stem, attacked.Key) : null];
            return new GalleryRow(stem, files);
        }).ToList();
        return new GallerySection(heading, cols, rows, "Label and predictions in the dataset's colours; perturbation: 0.5 + 0.5 delta / eps per channel (grey = 0).");
    }
}
