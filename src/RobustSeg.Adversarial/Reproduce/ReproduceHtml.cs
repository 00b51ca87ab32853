using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Adversarial.Evaluation.Report;
using RobustSeg.Adversarial.Evaluation.Sinks;
using RobustSeg.Adversarial.Evaluation.Sweep;
using RobustSeg.Adversarial.Metrics;
using RobustSeg.Adversarial.Training;
using RobustSeg.Config;
using RobustSeg.Plots;

namespace RobustSeg.Adversarial.Reproduce;

/// <summary>report.html of `reproduce`, collected while the job runs: per trained model (ARCH_REGIME[_seedN]) the clean,
/// legacy-BIM and strong scores (metrics table, robustness plot, per-class tables), the gallery of the first seed's
/// models (clean and strong-PGD predictions) and each model's training curves.</summary>
public sealed class ReproduceHtml(string workDir, int images = 4)
{
    readonly List<RobustnessRow> _rows = [];
    readonly List<(string, IReadOnlyList<(string, SegScores)>)> _perClass = [];
    readonly List<(string, GallerySink, GallerySink?)> _gallery = [];
    readonly List<FigureSection> _curves = [];
    bool _inputsWritten;
    string[]? _names;
    byte[]? _palette;
    string? _config;

    /// <summary>The gallery sinks of a model's clean and strong runs (the first writes the images and labels once).</summary>
    public (GallerySink Clean, GallerySink Strong) Gallery(string label, EvalSettings s, float strongEps)
    {
        var palette = EvalSinks.PaletteOf(s);
        var clean = new GallerySink(workDir, $"{label}_clean", images, palette, 0, inputs: !_inputsWritten);
        var strong = new GallerySink(workDir, $"{label}_strong", images, palette, strongEps, inputs: false);
        _inputsWritten = true;
        _gallery.Add(($"Gallery: {label} (adversarial: strong PGD)", clean, strong));
        return (clean, strong);
    }

    /// <summary>One model's evaluations, in the order run (the first is clean).</summary>
    public void Add(string label, RunConfig cfg, EvalSettings s, IReadOnlyList<(string Title, EvalSettings Settings, SegScores Scores, int Images)> runs)
    {
        _names ??= s.ClassNames;
        _palette ??= EvalSinks.PaletteOf(s);
        _config ??= $"# {label}; the other models differ in TRAIN.regime, save_path and manual_seed\n" + ConfigWriter.ToYaml(cfg);
        foreach (var (title, settings, scores, n) in runs)
        {
            var run = new SweepRun(label, settings.Attack?.Name ?? "none", settings);
            // Legacy and strong BIM/PGD are different protocols: name the line by both.
            var row = RobustnessRow.Of(run, scores, n);
            _rows.Add(run.Clean ? row : row with { Attack = $"{row.Attack} ({row.Protocol})" });
        }
        _perClass.Add((label, runs.Select(r => (r.Title, r.Scores)).ToList()));
        var curves = Path.Combine(cfg.Train.SavePath, TrainCurves.FileName);
        if (File.Exists(curves))
            _curves.Add(new FigureSection($"Training curves: {label}", Path.GetRelativePath(workDir, curves), "loss terms, training accuracy, learning rates and (DDC-AT) branch diagnostics per iteration"));
    }

    /// <summary>ARCH_REGIME_seedN rows averaged over N per (model, attack, radius), labelled "ARCH_REGIME (mean of N
    /// seeds)"; rows without a seed suffix stay as they are.</summary>
    public static List<RobustnessRow> MeansOverSeeds(IReadOnlyList<RobustnessRow> rows) =>
        rows.GroupBy(r => (Model: System.Text.RegularExpressions.Regex.Replace(r.Checkpoint, "_seed[0-9]+$", ""), r.Attack, r.Eps))
            .Select(g =>
            {
                var first = g.First();
                int n = g.Count();
                return first with
                {
                    Checkpoint = n > 1 ? $"{g.Key.Model} (mean of {n} seeds)" : first.Checkpoint,
                    MIoU = g.Average(r => r.MIoU), MAcc = g.Average(r => r.MAcc), AllAcc = g.Average(r => r.AllAcc),
                };
            }).ToList();

    public string? Write(string command, string setup)
    {
        if (_rows.Count == 0) return null;
        RobustnessResults.Write(workDir, _rows, MeansOverSeeds(_rows));
        return EvalHtmlReport.Write(workDir, new EvalHtmlReport.Content("RobustSeg reproduce report", command, setup, _config, _rows,
            RobustnessResults.PlotName, _perClass, _names, _palette!, _gallery, _curves));
    }
}
