using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation.Report;
using RobustSeg.Adversarial.Evaluation.Sinks;
using RobustSeg.Adversarial.Loading;
using RobustSeg.Adversarial.Metrics;
using RobustSeg.Config;
using RobustSeg.Data;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Adversarial.Evaluation.Sweep;

/// <summary>A robustness sweep of `robustseg test`: every checkpoint clean once, then under every attack at every
/// radius, in one pass over the data (each image decoded once and handed to every evaluation). Writes each run's
/// metrics.csv / per_class.csv (and images) under SAVE/LABEL/RUN/, robustness.csv and robustness.png in SAVE, and
/// with <see cref="Report"/> report.html beside them.</summary>
public sealed class TestSweep
{
    public required RunConfig Config { get; init; }
    public required DataConfig Data { get; init; }
    public required IReadOnlyList<CheckpointSpec> Checkpoints { get; init; }
    public required IReadOnlyList<string> Attacks { get; init; }
    /// <summary>--eps entries (null: the protocol's default radius).</summary>
    public required IReadOnlyList<string?> Eps { get; init; }
    /// <summary>Attack name and --eps entry -> attack and options (the command's other attack options applied).</summary>
    public required Func<string, string?, (IAttack? Attack, AttackOptions Options)> Create { get; init; }
    public AttackProtocol Protocol { get; init; } = AttackProtocol.Strong;
    public string? Source { get; init; }
    public bool Flip { get; init; }
    public bool NoFlip { get; init; }
    public required string SaveDir { get; init; }
    public bool SaveImages { get; init; } = true;
    public int? Limit { get; init; }
    public required Device Device { get; init; }
    /// <summary>Under mpirun: each rank evaluates its shard of the images (the counts are summed, so the scores
    /// equal one process's); rank 0 writes robustness.csv/.png and the report. Give the other ranks silent writers.</summary>
    public Distributed.IProcessGroup Group { get; init; } = Distributed.SingleProcessGroup.Instance;
    public bool Report { get; init; }
    public int ReportImages { get; init; } = 4;
    /// <summary>The command line, shown in the report.</summary>
    public string Command { get; init; } = "robustseg test";
    public TextWriter Out { get; init; } = Console.Out;
    public TextWriter Log { get; init; } = Console.Error;

    public IReadOnlyList<RobustnessRow> Run()
    {
        var baseSettings = EvalSettings.From(Config, Data) with { SaveImages = SaveImages };
        var clean = baseSettings with { Flip = EvalSettings.FlipFor(false, Flip, NoFlip) };
        var attacked = baseSettings with { Flip = EvalSettings.FlipFor(true, Flip, NoFlip), Protocol = Protocol };
        var runs = SweepRun.Plan(Checkpoints.Select(c => c.Label).ToList(), Attacks, Eps, Create, clean, attacked, SaveDir);
        bool anyAttack = runs.Any(r => !r.Clean);
        EvalSettings.CheckTestOptions(anyAttack, Flip, Protocol, Source);

        var dev = Device;
        var ds = Data.Dataset("test");
        var models = new List<SegmentationModel>();
        try
        {
            var forwards = new Dictionary<string, SegForward>();
            foreach (var c in Checkpoints)
            {
                var m = ModelLoader.LoadForEval(c.Path, Config, dev);
                models.Add(m);
                forwards[c.Label] = ModelLoader.AsForward(m);
                Out.WriteLine($"model {c.Label}: {m.Config.Describe()} from {c.Path}");
            }
            SegmentationModel? src = Source is null ? null : ModelLoader.LoadForEval(Source, Config, dev);
            if (src is not null) models.Add(src);
            Out.WriteLine($"device {dev.Describe()}; data {ds.Count} images from {Data.ListOf("test")}; base size {baseSettings.BaseSize}, crop {baseSettings.CropH}x{baseSettings.CropW}");
            foreach (var r in runs.Where(r => r.Checkpoint == Checkpoints[0].Label))
                Out.WriteLine($"  {r.Title}: {AttackSetup.Describe(r.Settings.Attack, r.Settings.AttackOptions, r.Settings.Protocol)}{(r.Settings.Flip ? ", flip" : "")}");
            Out.WriteLine($"sweep: {Checkpoints.Count} checkpoint(s) x {runs.Count / Checkpoints.Count} evaluation(s) per image{(Source is null ? "" : $"; black-box from {Source}")}");

            var gallery = Report ? GallerySinks(runs) : [];
            var jobs = runs.Select(r => EvalJob.For(forwards[r.Checkpoint], r.Settings,
                gallery.Where(g => g.Run == r).Select(g => (IEvalSink)g.Sink))).ToList();
            var evaluator = new Evaluator(dev, forwards[Checkpoints[0].Label], src is null ? null : ModelLoader.AsForward(src)) { Log = Log, Group = Group };
            var results = evaluator.RunAll(DatasetSamples.Enumerate(ds, Limit, Config.Test.TestResize, Group), jobs, Limit, ds.Count);

            var rows = runs.Select((r, i) => RobustnessRow.Of(r, results[i].Scores, results[i].Images)).ToList();
            if (Group.Rank != 0) return rows;
            RobustnessResults.Write(SaveDir, rows);
            Out.Write(RobustnessResults.Table(rows));
            var written = $"{RobustnessResults.CsvName}, {RobustnessResults.PlotName}";
            if (Report)
            {
                WriteReport(runs, results.Select(r => r.Scores).ToList(), rows, gallery, baseSettings, dev, ds.Count);
                written += ", " + EvalHtmlReport.FileName;
            }
            Out.WriteLine($"wrote {written} to {SaveDir} (each run's metrics.csv and per_class.csv under {Path.Combine(SaveDir, "LABEL", "RUN")})");
            return rows;
        }
        finally { foreach (var m in models) m.Dispose(); }
    }

    /// <summary>Per checkpoint: the clean run's gallery (the first also writes the images and labels) and the
    /// featured attacked run's: the first attack listed at its largest radius.</summary>
    List<(SweepRun Run, GallerySink Sink)> GallerySinks(IReadOnlyList<SweepRun> runs)
    {
        var list = new List<(SweepRun, GallerySink)>();
        var palette = EvalSinks.PaletteOf(EvalSettings.From(Config, Data));
        for (int i = 0; i < Checkpoints.Count; i++)
        {
            var label = Checkpoints[i].Label;
            var mine = runs.Where(r => r.Checkpoint == label).ToList();
            var c = mine.First(r => r.Clean);
            list.Add((c, new GallerySink(SaveDir, $"{label}_{c.Key}", ReportImages, palette, 0, inputs: i == 0)));
            var featured = mine.Where(r => !r.Clean).GroupBy(r => r.AttackName).FirstOrDefault()?.MaxBy(r => r.Eps);
            if (featured is not null)
                list.Add((featured, new GallerySink(SaveDir, $"{label}_{featured.Key}", ReportImages, palette, featured.Eps, inputs: false)));
        }
        return list;
    }

    void WriteReport(IReadOnlyList<SweepRun> runs, IReadOnlyList<SegScores> scores, IReadOnlyList<RobustnessRow> rows,
        List<(SweepRun Run, GallerySink Sink)> gallery, EvalSettings s, Device dev, int images)
    {
        var perClass = Checkpoints.Select(c => (c.Label, (IReadOnlyList<(string, SegScores)>)runs.Select((r, i) => (r, i))
            .Where(x => x.r.Checkpoint == c.Label).Select(x => (x.r.Title, scores[x.i])).ToList())).ToList();
        var blocks = Checkpoints.Select(c =>
        {
            var mine = gallery.Where(g => g.Run.Checkpoint == c.Label).ToList();
            var att = mine.FirstOrDefault(g => !g.Run.Clean);
            return ($"Gallery: {c.Label}{(att.Sink is null ? "" : $" under {att.Run.Title}")}", mine.First(g => g.Run.Clean).Sink, att.Sink);
        }).ToList();
        var setup = string.Join('\n', new[]
        {
            $"config {Config.Source}; device {dev.Describe()}",
            $"data: {Math.Min(Limit ?? images, images)} of {images} images from {Data.ListOf("test")}; base size {s.BaseSize}, crop {s.CropH}x{s.CropW}",
        }.Concat(Checkpoints.Select(c => $"checkpoint {c.Label}: {c.Path}"))
         .Concat(runs.Where(r => r.Checkpoint == Checkpoints[0].Label)
            .Select(r => $"{r.Title}: {AttackSetup.Describe(r.Settings.Attack, r.Settings.AttackOptions, r.Settings.Protocol)}{(r.Settings.Flip ? ", flip" : "")}"))
         .Concat(Source is null ? [] : [$"black-box: attacks crafted on {Source}"]));
        EvalHtmlReport.Write(SaveDir, new EvalHtmlReport.Content(
            "RobustSeg evaluation report", Command, setup, ConfigWriter.ToYaml(Config), rows, RobustnessResults.PlotName,
            perClass, s.ClassNames, EvalSinks.PaletteOf(s), blocks));
    }
}
