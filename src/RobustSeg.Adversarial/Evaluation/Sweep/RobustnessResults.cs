using System.Globalization;
using System.Text;
using RobustSeg.Adversarial.Metrics;
using RobustSeg.Plots;

namespace RobustSeg.Adversarial.Evaluation.Sweep;

/// <summary>A row of robustness.csv: one checkpoint clean (attack none, eps 0) or under one attack at one radius.</summary>
public sealed record RobustnessRow(string Checkpoint, string Attack, string Protocol, double Eps, double Eps255, int Steps, int Images,
    double MIoU, double MAcc, double AllAcc)
{
    public static RobustnessRow Of(SweepRun run, SegScores s, int images) => new(run.Checkpoint, run.Clean ? "none" : run.AttackName,
        run.Clean ? "" : run.Settings.Protocol.ToString().ToLowerInvariant(), run.Eps, Math.Round(run.Eps * 255.0, 4), run.Steps, images,
        s.MeanIoU, s.MeanAccuracy, s.AllAccuracy);
}

/// <summary>The outputs of a sweep: robustness.csv, robustness.png (mIoU against eps, one line per checkpoint and
/// attack, from the checkpoint's clean mIoU at eps 0) and the console table.</summary>
public static class RobustnessResults
{
    public const string CsvName = "robustness.csv", PlotName = "robustness.png";

    /// <summary>robustness.csv of <paramref name="rows"/> and robustness.png of <paramref name="plotRows"/> (default: the
    /// same rows; reproduce plots the means over seeds so that one line stands for one regime and attack).</summary>
    public static void Write(string dir, IReadOnlyList<RobustnessRow> rows, IReadOnlyList<RobustnessRow>? plotRows = null)
    {
        EvalReport.Write(Path.Combine(dir, CsvName), rows);
        RobustnessPlot.Write(Path.Combine(dir, PlotName), Series(plotRows ?? rows));
    }

    /// <summary>One series per (checkpoint, attack): the clean point at eps 0, then the attack's radii in order.
    /// A checkpoint evaluated clean only gives a single-point series.</summary>
    public static List<PlotSeries> Series(IReadOnlyList<RobustnessRow> rows)
    {
        var list = new List<PlotSeries>();
        bool several = rows.Select(r => r.Checkpoint).Distinct().Count() > 1;
        foreach (var ck in rows.Select(r => r.Checkpoint).Distinct())
        {
            var clean = rows.FirstOrDefault(r => r.Checkpoint == ck && r.Attack == "none");
            var attacks = rows.Where(r => r.Checkpoint == ck && r.Attack != "none").Select(r => r.Attack).Distinct().ToList();
            if (attacks.Count == 0 && clean is not null) list.Add(new PlotSeries($"{ck} clean", [0], [clean.MIoU]));
            foreach (var a in attacks)
            {
                var pts = rows.Where(r => r.Checkpoint == ck && r.Attack == a).OrderBy(r => r.Eps).ToList();
                if (clean is not null) pts.Insert(0, clean);
                list.Add(new PlotSeries(several ? $"{ck} · {a}" : a, pts.Select(p => p.Eps255).ToArray(), pts.Select(p => p.MIoU).ToArray()));
            }
        }
        return list;
    }

    public static string Table(IReadOnlyList<RobustnessRow> rows)
    {
        var sb = new StringBuilder();
        int cw = Math.Max(10, rows.Max(r => r.Checkpoint.Length)), aw = Math.Max(8, rows.Max(r => r.Attack.Length));
        sb.AppendLine($"{"checkpoint".PadRight(cw)}  {"attack".PadRight(aw)}  {"eps",9}  {"steps",5}  {"mIoU",7}  {"mAcc",7}  {"allAcc",7}");
        foreach (var r in rows)
            sb.AppendLine(string.Format(CultureInfo.InvariantCulture, "{0}  {1}  {2,9}  {3,5}  {4,7:F4}  {5,7:F4}  {6,7:F4}",
                r.Checkpoint.PadRight(cw), r.Attack.PadRight(aw), r.Attack == "none" ? "-" : $"{r.Eps255:0.##}/255", r.Steps, r.MIoU, r.MAcc, r.AllAcc));
        return sb.ToString();
    }
}
