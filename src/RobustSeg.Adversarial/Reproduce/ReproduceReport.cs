using System.Globalization;
using System.Text;
using RobustSeg.Adversarial.Evaluation;

namespace RobustSeg.Adversarial.Reproduce;

/// <summary>Formats the results: console table, results.csv (one row per seed), summary.csv (mean and spread over
/// seeds), results.md and a reading of what the measured numbers show.</summary>
public static class ReproduceReport
{
    static string P(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
    static string S(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
    static string M(Spread s) => s.N > 1 ? $"{P(s.Mean)} ± {P(s.Std)}" : P(s.Mean);

    static string[] Header(bool ensemble, bool seeds, string strong) =>
        ["arch", "regime", .. seeds ? new[] { "seeds" } : [], "clean mIoU", "legacy BIM mIoU", strong, .. ensemble ? new[] { "ensemble mIoU" } : [], "train s", "eval s"];

    static IEnumerable<string[]> Cells(IReadOnlyList<ReproduceSummary> rows, bool ensemble, bool seeds) => rows.Select(r => (string[])
        [r.Arch, r.Regime, .. seeds ? new[] { r.Clean.N.ToString(CultureInfo.InvariantCulture) } : [], M(r.Clean), M(r.Legacy), M(r.Strong),
         .. ensemble ? new[] { r.Ensemble is { } e ? M(e) : "-" } : [], S(r.TrainSeconds), S(r.EvalSeconds)]);

    static (List<string[]> All, bool Ens, bool Seeds) Table(IReadOnlyList<ReproduceSummary> rows, string strongName)
    {
        bool ens = rows.Any(r => r.Ensemble is not null), seeds = rows.Any(r => r.Clean.N > 1);
        var all = new List<string[]> { Header(ens, seeds, strongName) };
        all.AddRange(Cells(rows, ens, seeds));
        return (all, ens, seeds);
    }

    public static string ConsoleTable(IReadOnlyList<ReproduceSummary> rows, string strongName)
    {
        var (all, _, _) = Table(rows, strongName);
        var widths = Enumerable.Range(0, all[0].Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        for (int i = 0; i < all.Count; i++)
        {
            sb.AppendLine(string.Join("  ", all[i].Select((c, j) => j < 2 ? c.PadRight(widths[j]) : c.PadLeft(widths[j]))));
            if (i == 0) sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
        return sb.ToString();
    }

    public static string Markdown(IReadOnlyList<ReproduceSummary> rows, string strongName, string reading, string setup)
    {
        var (all, _, _) = Table(rows, strongName);
        var sb = new StringBuilder();
        sb.AppendLine("# RobustSeg reproduce: the DDC-AT table in miniature (synthetic data)").AppendLine();
        sb.AppendLine(setup).AppendLine();
        sb.AppendLine("| " + string.Join(" | ", all[0]) + " |");
        sb.AppendLine("|" + string.Concat(all[0].Select((_, j) => j < 2 ? "---|" : "---:|")));
        foreach (var c in all.Skip(1)) sb.AppendLine("| " + string.Join(" | ", c) + " |");
        sb.AppendLine().AppendLine(reading);
        return sb.ToString();
    }

    public static void WriteCsv(string path, IReadOnlyList<ReproduceRow> rows) =>
        EvalReport.Write(path, rows.Select(r => new
        {
            arch = r.Arch, regime = r.Regime, seed = r.Seed, clean_miou = r.CleanMIoU, legacy_bim_miou = r.LegacyMIoU,
            strong_miou = r.StrongMIoU, ensemble_miou = r.EnsembleMIoU, train_seconds = r.TrainSeconds,
            eval_seconds = r.EvalSeconds, checkpoint = r.Checkpoint,
            mask_target_ones = r.Branch?.MaskTargetOnes, routed_cls2_clean = r.Branch?.RoutedClean, routed_cls2_adv = r.Branch?.RoutedAdv,
            mask_loss = r.Branch?.MaskLoss, mask_loss_constant = r.Branch?.ConstantLoss,
        }));

    /// <summary>The DDC-AT branch diagnostics (last training epoch, mean over seeds) in words, or null without DDC-AT rows.</summary>
    public static string? Branch(IReadOnlyList<ReproduceRow> rows)
    {
        var parts = new List<string>();
        foreach (var g in rows.Where(r => r.Branch is not null).GroupBy(r => r.Arch))
        {
            var b = g.Select(r => r.Branch!).ToList();
            double ones = b.Average(x => x.MaskTargetOnes), clean = b.Average(x => x.RoutedClean), adv = b.Average(x => x.RoutedAdv);
            double loss = b.Average(x => x.MaskLoss), constant = b.Average(x => x.ConstantLoss);
            string s = $"{g.Key} DDC-AT branch (last epoch{(b.Count > 1 ? $", mean over {b.Count} seeds" : "")}): mask targets = 1 on {ones:P1} of the clean half's pixels " +
                       $"(pixels the training attack flips); routed to cls2: {clean:P1} of clean, {adv:P1} of adversarial pixels; " +
                       $"mask-head loss {loss:0.000} against {constant:0.000} for a constant prediction at the targets' rate";
            // Below 1 % the mask head has collapsed to cls1: the model is then trained and deployed almost as cls1 alone.
            if (clean < 0.01 && adv < 0.01) s += " (routing has collapsed: almost every pixel goes to cls1, which then trains on the same batch as SAT's while cls2 idles)";
            parts.Add(s + ".");
        }
        return parts.Count == 0 ? null : string.Join(" ", parts);
    }

    public static void WriteSummaryCsv(string path, IReadOnlyList<ReproduceSummary> rows) =>
        EvalReport.Write(path, rows.Select(r => new
        {
            arch = r.Arch, regime = r.Regime, seeds = r.Clean.N,
            clean_miou_mean = r.Clean.Mean, clean_miou_std = r.Clean.Std,
            legacy_bim_miou_mean = r.Legacy.Mean, legacy_bim_miou_std = r.Legacy.Std,
            strong_miou_mean = r.Strong.Mean, strong_miou_std = r.Strong.Std,
            ensemble_miou_mean = r.Ensemble?.Mean, ensemble_miou_std = r.Ensemble?.Std,
            train_seconds_mean = r.TrainSeconds, eval_seconds_mean = r.EvalSeconds,
        }));

    /// <summary>What the measured numbers show (nothing is filled in by hand): per architecture, DDC-AT against SAT
    /// and both against no defence on the seed means, and plainly whether the paper's ordering (DDC-AT >= SAT on clean
    /// and on adversarial mIoU) holds; with several seeds, whether each difference exceeds the spread.</summary>
    public static string Reading(IReadOnlyList<ReproduceSummary> rows)
    {
        var parts = new List<string>();
        foreach (var arch in rows.Select(r => r.Arch).Distinct())
        {
            var g = rows.Where(r => r.Arch == arch).ToDictionary(r => r.Regime);
            if (!g.TryGetValue("nodefense", out var nd) || !g.TryGetValue("sat", out var sat) || !g.TryGetValue("ddcat", out var dd)) continue;
            var cmp = new (string Name, Spread D, Spread S)[] { ("clean", dd.Clean, sat.Clean), ("legacy BIM", dd.Legacy, sat.Legacy), ("strong", dd.Strong, sat.Strong) };
            var holds = cmp.Where(c => c.D.Mean >= c.S.Mean).Select(c => c.Name).ToList();
            var fails = cmp.Where(c => c.D.Mean < c.S.Mean).Select(c => c.Name).ToList();
            // A difference within one standard deviation of either side is not told apart by these seeds.
            static bool Within((string Name, Spread D, Spread S) c) =>
                c.D.N >= 2 && c.S.N >= 2 && Math.Abs(c.D.Mean - c.S.Mean) <= Math.Max(c.D.Std, c.S.Std);
            string Diff((string Name, Spread D, Spread S) c) =>
                $"{c.Name} {P(c.D.Mean)} vs {P(c.S.Mean)}" + (Within(c) ? " (within the seed spread)" : "");
            string order = fails.Count == 0
                ? $"the paper's ordering holds: DDC-AT >= SAT on {string.Join(", ", holds)} mIoU ({string.Join("; ", cmp.Select(Diff))})"
                : holds.Count == 0
                    ? $"the paper's ordering does not hold: DDC-AT is below SAT on clean and adversarial mIoU ({string.Join("; ", cmp.Select(Diff))})"
                    : $"the paper's ordering holds only in part: DDC-AT >= SAT on {string.Join(", ", holds)}, below on {string.Join(", ", fails)} ({string.Join("; ", cmp.Select(Diff))})";
            if (cmp.All(Within)) order += "; every difference is within the seed spread, so these seeds do not tell DDC-AT and SAT apart";
            var bestLegacy = new[] { sat, dd }.MaxBy(r => r.Legacy.Mean)!;
            string legacy = bestLegacy.Legacy.Mean > nd.Legacy.Mean
                ? $"under the legacy BIM, {Name(bestLegacy.Regime)} holds {P(bestLegacy.Legacy.Mean)} against {P(nd.Legacy.Mean)} undefended"
                : $"under the legacy BIM neither defence beats no defence ({P(bestLegacy.Legacy.Mean)} vs {P(nd.Legacy.Mean)})";
            var bestStrong = rows.Where(r => r.Arch == arch).MaxBy(r => r.Strong.Mean)!;
            double kept = bestStrong.Clean.Mean > 0 ? bestStrong.Strong.Mean / bestStrong.Clean.Mean : 0;
            string strong = $"under the strong attack the best ({Name(bestStrong.Regime)}) keeps {P(bestStrong.Strong.Mean)} mIoU, {kept:P0} of its clean score";
            int n = rows.Where(r => r.Arch == arch).Min(r => r.Clean.N);
            parts.Add($"{arch} ({(n > 1 ? $"means over {n} seeds" : "one seed")}): {order}; {legacy}; {strong}.");
        }
        return parts.Count == 0 ? "Not every regime was run: no comparison." : string.Join(" ", parts);
    }

    static string Name(string regime) => regime switch { "nodefense" => "no defence", "sat" => "SAT", "ddcat" => "DDC-AT", _ => regime };
}
