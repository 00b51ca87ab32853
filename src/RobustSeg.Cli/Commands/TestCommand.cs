using System.CommandLine;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Adversarial.Evaluation.Sweep;
using RobustSeg.Adversarial.Loading;
using RobustSeg.Config;
using RobustSeg.Data;
using RobustSeg.Engine;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg test`: mIoU / mAcc / allAcc of a checkpoint on the config's validation list, clean
/// or under attack (legacy = the paper's per-window BIM; strong = whole-image attacks), white-box or
/// transferred from --source-checkpoint (black-box). Writes metrics.csv, per_class.csv and images. With lists
/// (several --checkpoint, --attack a,b, --eps 0,2,4/255) or --report it runs a robustness sweep (TestSweep).</summary>
public sealed class TestCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("test", "Evaluate a checkpoint: clean or adversarial mIoU/mAcc/allAcc with semseg's sliding-window inference; lists make a robustness sweep");
        var config = new ConfigCliOptions();
        var checkpoint = new Option<string[]>("--checkpoint")
        {
            Description = "model checkpoint (.safetensors of this project, or an original .pth); default: TEST.model_path. Repeat for a sweep; " +
                          "LABEL=PATH names it (default label: the file name)",
            AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [],
        };
        var attack = new Option<string>("--attack") { Description = "none|" + string.Join("|", AttackFactory.Names.Skip(1)) + "; a comma-separated list sweeps them", DefaultValueFactory = _ => "none" };
        var source = new Option<string?>("--source-checkpoint") { Description = "black-box: craft the attack on this model, evaluate the --checkpoint model" };
        var flip = new Option<bool>("--flip") { Description = "average with the mirrored image's prediction also under attack (default: clean only, as the original; not with the legacy protocol)" };
        var noFlip = new Option<bool>("--no-flip") { Description = "no flip averaging for the clean evaluation either" };
        var saveDir = new Option<string?>("--save-dir") { Description = "where metrics.csv, per_class.csv, pred/ and perturbation/ go (default: TEST.save_folder)" };
        var limit = new Option<int?>("--limit") { Description = "evaluate only the first N images" };
        var shared = new AttackCliOptions();
        var device = new Option<string>("--device") { Description = "cpu, ilgpu-cpu, cuda or auto", DefaultValueFactory = _ => "auto" };
        var noImages = new Option<bool>("--no-images") { Description = "do not write per-image PNGs" };
        var report = new Option<bool>("--report") { Description = "also write report.html (metrics, per-class table, robustness plot, gallery) in the save dir" };
        var reportImages = new Option<int>("--report-images") { Description = "images in the report's gallery", DefaultValueFactory = _ => 4 };
        foreach (var o in new Option[] { checkpoint, attack, source, flip, noFlip, saveDir, limit, device, noImages, report, reportImages }.Concat(config.All).Concat(shared.All))
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var cfg = config.Load(pr);
            var data = DataConfig.From(cfg);
            var ckptArgs = pr.GetValue(checkpoint)!;
            if (ckptArgs.Length == 0)
                ckptArgs = [cfg.Test.ModelPath ?? throw new ConfigException($"no checkpoint: give --checkpoint FILE or set TEST.model_path in {cfg.Source}")];
            var checkpoints = CheckpointSpec.ParseAll(ckptArgs);
            var attacks = EpsList.Names(pr.GetValue(attack)!, "--attack");
            var epsText = pr.GetValue(shared.Eps);
            IReadOnlyList<string?> eps = epsText is null ? new string?[] { null } : EpsList.Parse(epsText).ToArray<string?>();
            if (pr.GetValue(reportImages) < 0) throw new ConfigException($"--report-images: expected 0 or more, got {pr.GetValue(reportImages)}");
            var rank = Distributed.DistributedLaunch.Start(cfg.Distributed.DistBackend, pr.GetValue(device)!);
            var group = rank.Group; // finalized by CliRunner after success (on an error it aborts the job instead)
            var dev = rank.Device;
            // Under mpirun each rank evaluates images r, r+N, ... and rank 0 prints and writes the totals.
            var console = group.Rank == 0 ? Console.Out : TextWriter.Null;
            if (Distributed.DistributedLaunch.Describe(rank) is { Length: > 0 } line) console.WriteLine(line);
            if (checkpoints.Count > 1 || attacks.Count > 1 || eps.Count > 1 || pr.GetValue(report))
            {
                var sweep = new TestSweep
                {
                    Config = cfg, Data = data, Checkpoints = checkpoints, Attacks = attacks, Eps = eps,
                    Create = (a, e) => { var (atk, o, _) = shared.Create(pr, a, cfg.Train.IgnoreLabel, e); return (atk, o); },
                    Protocol = AttackProtocols.Parse(pr.GetValue(shared.Protocol)!),
                    Source = pr.GetValue(source), Flip = pr.GetValue(flip), NoFlip = pr.GetValue(noFlip),
                    SaveDir = pr.GetValue(saveDir) ?? cfg.Test.SaveFolder ?? throw new ConfigException("a sweep or --report needs --save-dir DIR (or TEST.save_folder)"),
                    SaveImages = !pr.GetValue(noImages), Limit = pr.GetValue(limit), Device = dev, Group = group,
                    Out = console, Log = group.Rank == 0 ? Console.Error : TextWriter.Null,
                    Report = pr.GetValue(report), ReportImages = pr.GetValue(reportImages),
                    Command = CommandLineText.Of(pr),
                };
                sweep.Run();
                return 0;
            }
            var (atk, opts, proto) = shared.Create(pr, attacks[0], cfg.Train.IgnoreLabel);
            EvalSettings.CheckTestOptions(atk is not null, pr.GetValue(flip), proto, pr.GetValue(source));
            bool flipOn = EvalSettings.FlipFor(atk is not null, pr.GetValue(flip), pr.GetValue(noFlip));
            var ckpt = checkpoints[0].Path;
            var ds = data.Dataset("test");
            using var model = ModelLoader.LoadForEval(ckpt, cfg, dev);
            using var srcModel = pr.GetValue(source) is { } sp ? ModelLoader.LoadForEval(sp, cfg, dev) : null;
            var settings = EvalSettings.From(cfg, data) with
            {
                Flip = flipOn, Attack = atk, AttackOptions = opts, Protocol = proto,
                SaveDir = pr.GetValue(saveDir) ?? cfg.Test.SaveFolder, SaveImages = !pr.GetValue(noImages),
            };
            console.WriteLine($"model {model.Config.Describe()} on {dev.Describe()}");
            console.WriteLine($"data {ds.Count} images from {data.ListOf("test")}; base size {settings.BaseSize}, crop {settings.CropH}x{settings.CropW}" +
                $"{(settings.Scales.Count > 1 ? $", scales {string.Join(",", settings.Scales)}" : "")}{(flipOn ? ", flip" : "")}");
            console.WriteLine($"attack: {AttackSetup.Describe(atk, opts, proto)}{(srcModel is null ? "" : $"; black-box from {pr.GetValue(source)}")}");
            var ev = new Evaluator(dev, ModelLoader.AsForward(model), srcModel is null ? null : ModelLoader.AsForward(srcModel)) { Group = group };
            var limitN = pr.GetValue(limit);
            var scores = ev.Run(DatasetSamples.Enumerate(ds, limitN, cfg.Test.TestResize, group), settings, limitN, ds.Count);
            console.Write(EvalReport.Table(scores, settings.ClassNames));
            if (settings.SaveDir is not null) console.WriteLine($"wrote metrics.csv and per_class.csv to {settings.SaveDir}");
            return 0;
        });
        return cmd;
    }
}
