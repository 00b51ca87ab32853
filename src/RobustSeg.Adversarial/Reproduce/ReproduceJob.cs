using RobustSeg.Adversarial.Loading;
using RobustSeg.Engine.IO;
using System.Diagnostics;
using System.Globalization;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Config;
using RobustSeg.Adversarial.Evaluation;
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

    public string DataDir => Path.Combine(o.WorkDir, "data");

    public IReadOnlyList<ReproduceRow> Run()
    {
        // Every name is checked before anything trains: a typo must not cost the regimes before it.
        foreach (var r in o.Regimes)
            if (!Regimes.Contains(r)) throw new ConfigException($"--regimes: unknown regime '{r}' (expected {string.Join(", ", Regimes)})");
        var device = Engine.Device.Get(o.Device);
        var total = Stopwatch.StartNew();
        EnsureData();
        var rows = new List<ReproduceRow>();
        var plan = o.Archs.SelectMany(a => o.Regimes.Select(r => (a, r))).ToList();
        for (int i = 0; i < plan.Count; i++)
        {
            var (arch, regime) = plan[i];
            o.Progress.WriteLine($"== [{i + 1}/{plan.Count}] {arch} / {regime}: training on {device.Name} (elapsed {total.Elapsed:mm\\:ss})");
            var cfg = Config(arch, regime);
            var trained = new Trainer(cfg, device, new TrainerOptions { Progress = o.Progress }).Run();
            o.Progress.WriteLine($"== [{i + 1}/{plan.Count}] {arch} / {regime}: evaluating (elapsed {total.Elapsed:mm\\:ss})");
            rows.Add(Evaluate(arch, regime, cfg, trained.FinalCheckpoint, trained.Seconds, device));
        }
        WriteResults(rows);
        o.Progress.WriteLine($"== done in {total.Elapsed:mm\\:ss}");
        return rows;
    }

    public string StrongName => $"PGD-{Steps} eps {o.StrongEps255.ToString(CultureInfo.InvariantCulture)}/255 mIoU";
    int Steps => o.Quick ? Math.Min(3, o.StrongSteps) : o.StrongSteps;

    void EnsureData()
    {
        if (!o.Force && File.Exists(Path.Combine(DataDir, "train.txt")) && File.Exists(Path.Combine(DataDir, "val.txt")))
        {
            o.Progress.WriteLine($"== using the synthetic dataset in {DataDir}");
            return;
        }
        // 400 training images: the same iteration budget generalises better than 200 images seen twice as often.
        var opts = o.Quick ? new SyntheticOptions { Train = 24, Val = 6, Size = 33, Seed = o.Seed } : new SyntheticOptions { Train = 400, Val = 50, Seed = o.Seed };
        var info = SyntheticDataset.Generate(DataDir, opts);
        o.Progress.WriteLine($"== generated the synthetic dataset in {info.Root}");
    }

    /// <summary>The shipped synthetic config of (arch, regime), pointed at this run's folders.</summary>
    public RunConfig Config(string arch, string regime)
    {
        var name = $"synthetic_{arch}18_{regime}.yaml";
        using var s = typeof(ReproduceJob).Assembly.GetManifestResourceStream("config.synthetic." + name)
            ?? throw new FileNotFoundException($"embedded config {name} is missing (arch must be psp or aspp)");
        var yaml = new StreamReader(s).ReadToEnd();
        var dir = Path.Combine(o.WorkDir, $"{arch}_{regime}");
        var sets = new List<string>
        {
            $"data_root={DataDir}",
            $"save_path={Path.Combine(dir, "model")}",
            $"manual_seed={o.Seed}",
        };
        int? epochs = o.Epochs ?? (o.Quick ? 1 : null);
        if (epochs is int e) { sets.Add($"epochs={e}"); sets.Add($"save_freq={e}"); }
        if (o.Quick) sets.AddRange(["train_h=33", "train_w=33", "base_size=33", "test_h=33", "test_w=33", "batch_size=4"]);
        sets.AddRange(o.Overrides);
        return RunConfig.Parse(yaml, name, sets);
    }

    ReproduceRow Evaluate(string arch, string regime, RunConfig cfg, string checkpoint, double trainSeconds, Device device)
    {
        var timer = Stopwatch.StartNew();
        // Deployed (DDC-AT: cls1 -> cls) and in eval mode, as `robustseg test` loads it.
        var model = ModelLoader.LoadForEval(checkpoint, cfg, device);
        try
        {
            var forward = ModelLoader.AsForward(model);
            var samples = DatasetSamples.Enumerate(DataConfig.From(cfg).Dataset("val"), resize: cfg.Test.TestResize).ToList();
            var evaluator = new Evaluator(device, forward) { Log = TextWriter.Null };
            var dir = Path.Combine(o.WorkDir, $"{arch}_{regime}", "eval");
            EvalSettings Settings(string name, IAttack? attack, AttackOptions? opts, AttackProtocol protocol) => new()
            {
                Classes = cfg.Data.Classes, BaseSize = cfg.Test.BaseSize, CropH = cfg.Test.TestH, CropW = cfg.Test.TestW,
                Attack = attack, AttackOptions = opts ?? new AttackOptions(), Protocol = protocol,
                Flip = EvalSettings.FlipFor(attacked: attack is not null), // as `test`: flip for clean only
                SaveDir = Path.Combine(dir, name), SaveImages = false,
            };
            double Score(string name, IAttack? attack, AttackOptions? opts, AttackProtocol protocol)
            {
                var t = Stopwatch.StartNew();
                var s = evaluator.Run(samples, Settings(name, attack, opts, protocol));
                o.Progress.WriteLine($"   {arch}/{regime} {name}: mIoU {s.MeanIoU:0.0000} ({t.Elapsed.TotalSeconds:0.0} s)");
                return s.MeanIoU;
            }
            double clean = Score("clean", null, null, AttackProtocol.Strong);
            var (bim, bimOpts) = AttackSetup.Create("bim", AttackProtocol.Legacy, seed: o.Seed);
            double legacy = Score("legacy_bim", bim, bimOpts, AttackProtocol.Legacy);
            var eps = $"{o.StrongEps255.ToString(CultureInfo.InvariantCulture)}/255";
            var (pgd, pgdOpts) = AttackSetup.Create("pgd", AttackProtocol.Strong, eps: eps, steps: Steps, seed: o.Seed);
            double strong = Score("strong_pgd", pgd, pgdOpts, AttackProtocol.Strong);
            double? ensemble = null;
            if (o.StrongAll)
            {
                var (ens, ensOpts) = AttackSetup.Create("ensemble", AttackProtocol.Strong, eps: eps, steps: o.Quick ? 3 : 50, seed: o.Seed);
                ensemble = Score("strong_ensemble", ens, ensOpts, AttackProtocol.Strong);
            }
            return new ReproduceRow(arch, regime, clean, legacy, strong, ensemble, trainSeconds, timer.Elapsed.TotalSeconds, checkpoint);
        }
        finally { model.Dispose(); }
    }

    void WriteResults(IReadOnlyList<ReproduceRow> rows)
    {
        Directory.CreateDirectory(o.WorkDir);
        var reading = ReproduceReport.Reading(rows);
        var setup = $"Device {o.Device}; {(o.Quick ? "quick run" : "full run")}; seed {o.Seed}; legacy BIM = 2 steps of 0.01, eps 0.03 (per window); " +
                    $"strong = PGD with random start, {Steps} steps, eps {o.StrongEps255.ToString(CultureInfo.InvariantCulture)}/255 (whole image)" +
                    (o.StrongAll ? "; ensemble = APGD-based worst case per image" : "") + ".";
        ReproduceReport.WriteCsv(Path.Combine(o.WorkDir, "results.csv"), rows);
        var md = ReproduceReport.Markdown(rows, StrongName, reading, setup);
        AtomicFile.WriteAllText(Path.Combine(o.WorkDir, "results.md"), md);
        Console.WriteLine();
        Console.WriteLine(ReproduceReport.ConsoleTable(rows, StrongName));
        Console.WriteLine(reading);
        Console.WriteLine($"(written: {Path.Combine(o.WorkDir, "results.csv")}, {Path.Combine(o.WorkDir, "results.md")})");
    }
}
