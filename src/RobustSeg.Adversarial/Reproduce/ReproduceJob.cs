using RobustSeg.Adversarial.Loading;
using RobustSeg.Engine.IO;
using System.Diagnostics;
using System.Globalization;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Config;
using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Adversarial.Evaluation.Report;
using RobustSeg.Adversarial.Evaluation.Sinks;
using RobustSeg.Adversarial.Evaluation.Sweep;
using RobustSeg.Adversarial.Training;
using RobustSeg.Data;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Reproduce;

/// <summary>The main job: generate the synthetic dataset, train no defence / SAT / DDC-AT with the same
/// seed and budget, evaluate each clean, under the paper's legacy BIM and under a strong attack, and
/// write the table. The training configs are the shipped config/synthetic files (embedded, so the
/// command works from any folder).</summary>
public sealed class ReproduceJob(ReproduceOptions o)
{
    public static readonly string[] Regimes = ["nodefense", "sat", "ddcat"];
    readonly ReproduceHtml _html = new(o.WorkDir);

    public string DataDir => Path.Combine(o.WorkDir, "data");

    public IReadOnlyList<ReproduceRow> Run()
    {
        // Every name is checked before anything trains: a typo must not cost the regimes before it.
        foreach (var r in o.Regimes)
            if (!Regimes.Contains(r)) throw new ConfigException($"--regimes: unknown regime '{r}' (expected {string.Join(", ", Regimes)})");
        if (o.Seeds < 1) throw new ConfigException($"--seeds: expected at least 1, got {o.Seeds}");
        var device = Engine.Device.Get(o.Device);
        var total = Stopwatch.StartNew();
        var group = o.Group ?? Distributed.SingleProcessGroup.Instance;
        if (group.Rank == 0) EnsureData();
        group.Barrier();
        var rows = new List<ReproduceRow>();
        // Seed-major: after each seed the table has every regime once, so an interrupted run still compares them.
        var plan = Enumerable.Range(0, o.Seeds).SelectMany(k => o.Archs.SelectMany(a => o.Regimes.Select(r => (a, r, Seed: o.Seed + (ulong)k)))).ToList();
        for (int i = 0; i < plan.Count; i++)
        {
            var (arch, regime, seed) = plan[i];
            string what = $"{arch} / {regime}{(o.Seeds > 1 ? $" / seed {seed}" : "")}";
            string eta = i == 0 ? "" : $", eta {TimeSpan.FromSeconds(total.Elapsed.TotalSeconds / i * (plan.Count - i)):hh\\:mm\\:ss}";
            o.Progress.WriteLine($"== [{i + 1}/{plan.Count}] {what}: training on {device.Name} (elapsed {total.Elapsed:mm\\:ss}{eta})");
            var cfg = Config(arch, regime, seed);
            var records = new List<IterationRecord>();
            var trained = new Trainer(cfg, device, new TrainerOptions { Progress = o.Progress, OnIteration = records.Add, Group = o.Group }).Run();
            o.Progress.WriteLine($"== [{i + 1}/{plan.Count}] {what}: evaluating (elapsed {total.Elapsed:mm\\:ss})");
            rows.Add(Evaluate(arch, regime, cfg, trained.FinalCheckpoint, trained.Seconds, device, seed) with
            {
                Seed = seed, Branch = regime == "ddcat" ? BranchDiagnostics.Of(records) : null,
            });
        }
        if (group.Rank == 0) WriteResults(rows);
        o.Progress.WriteLine($"== done in {total.Elapsed:mm\\:ss}");
        return rows;
    }

    public string StrongName => $"PGD-{Steps} eps {o.StrongEps255.ToString(CultureInfo.InvariantCulture)}/255 mIoU";
    int Steps => o.Quick ? Math.Min(3, o.StrongSteps) : o.StrongSteps;

    /// <summary>The dataset this run asks for: <see cref="ReproduceOptions.Data"/> (a quick run: 24 + 6 images of 33 px),
    /// seeded with --seed.</summary>
    public SyntheticOptions DataOptions => (o.Quick ? o.Data with { Train = 24, Val = 6, Size = 33 } : o.Data) with { Seed = o.Seed };

    void EnsureData()
    {
        var opts = DataOptions;
        var yaml = Path.Combine(DataDir, "data.yaml");
        if (!o.Force && File.Exists(Path.Combine(DataDir, "train.txt")) && File.Exists(Path.Combine(DataDir, "val.txt")))
        {
            // A dataset made with other options (an older default, another --seed) would silently change the comparison.
            if (File.Exists(yaml) && File.ReadLines(yaml).Any(l => l == "# options: " + opts.Describe()))
            {
                o.Progress.WriteLine($"== using the synthetic dataset in {DataDir}");
                return;
            }
            o.Progress.WriteLine($"== the dataset in {DataDir} was made with other options; regenerating it ({opts.Describe()})");
        }
        var info = SyntheticDataset.Generate(DataDir, opts);
        o.Progress.WriteLine($"== generated the synthetic dataset in {info.Root} ({opts.Describe()})");
    }

    /// <summary>The shipped synthetic config of (arch, regime), pointed at this run's folders.</summary>
    public RunConfig Config(string arch, string regime) => Config(arch, regime, o.Seed);

    /// <summary>The config of (arch, regime) trained with <paramref name="seed"/>; with several seeds each has its own folder.</summary>
    public RunConfig Config(string arch, string regime, ulong seed)
    {
        var name = $"synthetic_{arch}18_{regime}.yaml";
        using var s = typeof(ReproduceJob).Assembly.GetManifestResourceStream("config.synthetic." + name)
            ?? throw new FileNotFoundException($"embedded config {name} is missing (arch must be psp or aspp)");
        var yaml = new StreamReader(s).ReadToEnd();
        var dir = RunDir(arch, regime, seed);
        var sets = new List<string>
        {
            $"data_root={DataDir}",
            $"save_path={Path.Combine(dir, "model")}",
            $"manual_seed={seed}",
        };
        int? epochs = o.Epochs ?? (o.Quick ? 1 : null);
        if (epochs is int e) { sets.Add($"epochs={e}"); sets.Add($"save_freq={e}"); }
        if (o.Quick) sets.AddRange(["train_h=33", "train_w=33", "base_size=33", "test_h=33", "test_w=33", "batch_size=4"]);
        sets.AddRange(o.Overrides);
        return RunConfig.Parse(yaml, name, sets);
    }

    string RunDir(string arch, string regime, ulong seed) =>
        Path.Combine(o.WorkDir, o.Seeds > 1 ? $"{arch}_{regime}_seed{seed}" : $"{arch}_{regime}");

    ReproduceRow Evaluate(string arch, string regime, RunConfig cfg, string checkpoint, double trainSeconds, Device device, ulong seed)
    {
        var timer = Stopwatch.StartNew();
        // Deployed (DDC-AT: cls1 -> cls) and in eval mode, as `robustseg test` loads it.
        var model = ModelLoader.LoadForEval(checkpoint, cfg, device);
        try
        {
            var forward = ModelLoader.AsForward(model);
            var data = DataConfig.From(cfg);
            var samples = DatasetSamples.Enumerate(data.Dataset("val"), resize: cfg.Test.TestResize, group: o.Group).ToList();
            var evaluator = new Evaluator(device, forward) { Log = TextWriter.Null, Group = o.Group ?? Distributed.SingleProcessGroup.Instance };
            var dir = Path.Combine(RunDir(arch, regime, seed), "eval");
            EvalSettings Settings(string name, IAttack? attack, AttackOptions? opts, AttackProtocol protocol) => EvalSettings.From(cfg, data) with
            {
                Attack = attack, AttackOptions = opts ?? new AttackOptions(), Protocol = protocol,
                Flip = EvalSettings.FlipFor(attacked: attack is not null), // as `test`: flip for clean only
                SaveDir = Path.Combine(dir, name), SaveImages = false,
            };
            var scored = new List<(string, EvalSettings, Metrics.SegScores, int)>();
            double Score(string name, IAttack? attack, AttackOptions? opts, AttackProtocol protocol, IEvalSink? gallery = null)
            {
                var t = Stopwatch.StartNew();
                var settings = Settings(name, attack, opts, protocol);
                var s = evaluator.Run(samples, settings, extraSinks: gallery is null ? null : [gallery]);
                o.Progress.WriteLine($"   {arch}/{regime}/seed {seed} {name}: mIoU {s.MeanIoU:0.0000} ({t.Elapsed.TotalSeconds:0.0} s)");
                scored.Add((name, settings, s, samples.Count));
                return s.MeanIoU;
            }
            var eps = $"{o.StrongEps255.ToString(CultureInfo.InvariantCulture)}/255";
            var (pgd, pgdOpts) = AttackSetup.Create("pgd", AttackProtocol.Strong, eps: eps, steps: Steps, seed: seed);
            var label = Path.GetFileName(RunDir(arch, regime, seed));
            // The report's gallery pictures the first seed's models.
            var gallery = seed == o.Seed ? _html.Gallery(label, Settings("clean", null, null, AttackProtocol.Strong), pgdOpts.Eps) : default((GallerySink, GallerySink)?);
            double clean = Score("clean", null, null, AttackProtocol.Strong, gallery?.Item1);
            var (bim, bimOpts) = AttackSetup.Create("bim", AttackProtocol.Legacy, seed: seed);
            double legacy = Score("legacy_bim", bim, bimOpts, AttackProtocol.Legacy);
            double strong = Score("strong_pgd", pgd, pgdOpts, AttackProtocol.Strong, gallery?.Item2);
            double? ensemble = null;
            if (o.StrongAll)
            {
                var (ens, ensOpts) = AttackSetup.Create("ensemble", AttackProtocol.Strong, eps: eps, steps: o.Quick ? 3 : 50, seed: seed);
                ensemble = Score("strong_ensemble", ens, ensOpts, AttackProtocol.Strong);
            }
            _html.Add(label, cfg, Settings("clean", null, null, AttackProtocol.Strong), scored);
            return new ReproduceRow(arch, regime, clean, legacy, strong, ensemble, trainSeconds, timer.Elapsed.TotalSeconds, checkpoint);
        }
        finally { model.Dispose(); }
    }

    void WriteResults(IReadOnlyList<ReproduceRow> rows)
    {
        Directory.CreateDirectory(o.WorkDir);
        var summary = ReproduceSummary.Of(rows);
        var reading = ReproduceReport.Reading(summary);
        if (ReproduceReport.Branch(rows) is { } branch) reading += Environment.NewLine + Environment.NewLine + branch;
        var seeds = o.Seeds > 1 ? $"seeds {o.Seed}..{o.Seed + (ulong)o.Seeds - 1} (training and attacks; data seed {o.Seed}), mean ± sample std" : $"seed {o.Seed}";
        var setup = $"Device {o.Device}; {(o.Quick ? "quick run" : "full run")}; {seeds}; legacy BIM = 2 steps of 0.01, eps 0.03 (per window); " +
                    $"strong = PGD with random start, {Steps} steps, eps {o.StrongEps255.ToString(CultureInfo.InvariantCulture)}/255 (whole image)" +
                    (o.StrongAll ? "; ensemble = APGD-based worst case per image" : "") +
                    $"; data: {DataOptions.Describe()}.";
        ReproduceReport.WriteCsv(Path.Combine(o.WorkDir, "results.csv"), rows);
        ReproduceReport.WriteSummaryCsv(Path.Combine(o.WorkDir, "summary.csv"), summary);
        var md = ReproduceReport.Markdown(summary, StrongName, reading, setup);
        AtomicFile.WriteAllText(Path.Combine(o.WorkDir, "results.md"), md);
        var html = _html.Write(o.Command, setup + "\n\n" + reading);
        Console.WriteLine();
        Console.WriteLine(ReproduceReport.ConsoleTable(summary, StrongName));
        Console.WriteLine(reading);
        Console.WriteLine($"(written: {Path.Combine(o.WorkDir, "results.csv")}, {Path.Combine(o.WorkDir, "summary.csv")}, {Path.Combine(o.WorkDir, "results.md")}" +
            (html is null ? ")" : $", {html} with {RobustnessResults.CsvName} and {RobustnessResults.PlotName})"));
    }
}
