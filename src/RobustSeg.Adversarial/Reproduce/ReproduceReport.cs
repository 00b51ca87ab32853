using System.Globalization;
using System.Text;
using RobustSeg.Adversarial.Evaluation;

namespace RobustSeg.Adversarial.Reproduce;

/// <summary>Formats the results: console table, results.csv, results.md and a one-line reading.</summary>
public static class ReproduceReport
{
    static string P(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
    static string S(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);

    static string[] Header(bool ensemble, string strong) =>
        ["arch", "regime", "clean mIoU", "legacy BIM mIoU", strong, .. ensemble ? new[] { "ensemble mIoU" } : [], "train s", "eval s"];

    static IEnumerable<string[]> Cells(IReadOnlyList<ReproduceRow> rows, bool ensemble) => rows.Select(r => (string[])
        [r.Arch, r.Regime, P(r.CleanMIoU), P(r.LegacyMIoU), P(r.StrongMIoU), .. ensemble ? new[] { P(r.EnsembleMIoU ?? double.NaN) } : [], S(r.TrainSeconds), S(r.EvalSeconds)]);

    public static string ConsoleTable(IReadOnlyList<ReproduceRow> rows, string strongName)
    {
        bool ens = rows.Any(r => r.EnsembleMIoU is not null);
        var all = new List<string[]> { Header(ens, strongName) };
        all.AddRange(Cells(rows, ens));
        var widths = Enumerable.Range(0, all[0].Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        for (int i = 0; i < all.Count; i++)
        {
            sb.AppendLine(string.Join("  ", all[i].Select((c, j) => j < 2 ? c.PadRight(widths[j]) : c.PadLeft(widths[j]))));
            if (i == 0) sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
        return sb.ToString();
    }

    public static string Markdown(IReadOnlyList<ReproduceRow> rows, string strongName, string reading, string setup)
    {
        bool ens = rows.Any(r => r.EnsembleMIoU is not null);
        var h = Header(ens, strongName);
        var sb = new StringBuilder();
        sb.AppendLine("# RobustSeg reproduce: the DDC-AT table in miniature (synthetic data)").AppendLine();
        sb.AppendLine(setup).AppendLine();
        sb.AppendLine("| " + string.Join(" | ", h) + " |");
        sb.AppendLine("|" + string.Concat(h.Select((_, j) => j < 2 ? "---|" : "---:|")));
        foreach (var c in Cells(rows, ens)) sb.AppendLine("| " + string.Join(" | ", c) + " |");
        sb.AppendLine().AppendLine(reading);
        return sb.ToString();
    }

    public static void WriteCsv(string path, IReadOnlyList<ReproduceRow> rows) =>
        EvalReport.Write(path, rows.Select(r => new
        {
            arch = r.Arch, regime = r.Regime, clean_miou = r.CleanMIoU, legacy_bim_miou = r.LegacyMIoU,
            strong_miou = r.StrongMIoU, ensemble_miou = r.EnsembleMIoU, train_seconds = r.TrainSeconds,
            eval_seconds = r.EvalSeconds, checkpoint = r.Checkpoint,
        }));

    /// <summary>A one-line reading of what the measured numbers show (nothing is filled in by hand).</summary>
    public static string Reading(IReadOnlyList<ReproduceRow> rows)
    {
        var parts = new List<string>();
        foreach (var arch in rows.Select(r => r.Arch).Distinct())
        {
            var g = rows.Where(r => r.Arch == arch).ToDictionary(r => r.Regime);
            if (!g.TryGetValue("nodefense", out var nd) || !g.TryGetValue("sat", out var sat) || !g.TryGetValue("ddcat", out var dd)) continue;
            string cleanCmp = dd.CleanMIoU >= sat.CleanMIoU
                ? $"DDC-AT keeps more clean accuracy than SAT ({P(dd.CleanMIoU)} vs {P(sat.CleanMIoU)})"
                : $"DDC-AT keeps less clean accuracy than SAT here ({P(dd.CleanMIoU)} vs {P(sat.CleanMIoU)})";
            var bestLegacy = new[] { sat, dd }.MaxBy(r => r.LegacyMIoU)!;
            string legacy = bestLegacy.LegacyMIoU > nd.LegacyMIoU
                ? $"under the legacy BIM, {Name(bestLegacy.Regime)} holds {P(bestLegacy.LegacyMIoU)} against {P(nd.LegacyMIoU)} undefended"
                : $"under the legacy BIM neither defence beats no defence ({P(bestLegacy.LegacyMIoU)} vs {P(nd.LegacyMIoU)})";
            var bestStrong = rows.Where(r => r.Arch == arch).MaxBy(r => r.StrongMIoU)!;
            double kept = bestStrong.CleanMIoU > 0 ? bestStrong.StrongMIoU / bestStrong.CleanMIoU : 0;
            string strong = $"under the strong attack the best ({Name(bestStrong.Regime)}) keeps {P(bestStrong.StrongMIoU)} mIoU, {kept:P0} of its clean score";
            parts.Add($"{arch}: {cleanCmp}; {legacy}; {strong}.");
        }
        return parts.Count == 0 ? "Not every regime was run: no comparison." : string.Join(" ", parts);
    }

    static string Name(string regime) => regime switch { "nodefense" => "no defence", "sat" => "SAT", "ddcat" => "DDC-AT", _ => regime };
}
