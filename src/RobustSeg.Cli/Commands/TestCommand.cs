using System.CommandLine;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Adversarial.Loading;
using RobustSeg.Config;
using RobustSeg.Data;
using RobustSeg.Engine;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg test`: mIoU / mAcc / allAcc of a checkpoint on the config's validation list, clean
/// or under attack (legacy = the paper's per-window BIM; strong = whole-image attacks), white-box or
/// transferred from --source-checkpoint (black-box). Writes metrics.csv, per_class.csv and images.</summary>
public sealed class TestCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("test", "Evaluate a checkpoint: clean or adversarial mIoU/mAcc/allAcc with semseg's sliding-window inference");
        var config = new ConfigCliOptions();
        var checkpoint = new Option<string?>("--checkpoint") { Description = "model checkpoint (.safetensors of this project, or an original .pth); default: TEST.model_path" };
        var attack = new Option<string>("--attack") { Description = "none|" + string.Join("|", AttackFactory.Names.Skip(1)), DefaultValueFactory = _ => "none" };
        var source = new Option<string?>("--source-checkpoint") { Description = "black-box: craft the attack on this model, evaluate the --checkpoint model" };
        var flip = new Option<bool>("--flip") { Description = "average with the mirrored image's prediction also under attack (default: clean only, as the original; not with the legacy protocol)" };
        var noFlip = new Option<bool>("--no-flip") { Description = "no flip averaging for the clean evaluation either" };
        var saveDir = new Option<string?>("--save-dir") { Description = "where metrics.csv, per_class.csv, pred/ and perturbation/ go (default: TEST.save_folder)" };
        var limit = new Option<int?>("--limit") { Description = "evaluate only the first N images" };
        var shared = new AttackCliOptions();
        var device = new Option<string>("--device") { Description = "cpu, ilgpu-cpu, cuda or auto", DefaultValueFactory = _ => "auto" };
        var noImages = new Option<bool>("--no-images") { Description = "do not write per-image PNGs" };
        foreach (var o in new Option[] { checkpoint, attack, source, flip, noFlip, saveDir, limit, device, noImages }.Concat(config.All).Concat(shared.All))
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var cfg = config.Load(pr);
            var data = DataConfig.From(cfg);
            var (atk, opts, proto) = shared.Create(pr, pr.GetValue(attack)!, cfg.Train.IgnoreLabel);
            if (atk is null && pr.GetValue(source) is not null) throw new ConfigException("--source-checkpoint needs an --attack to transfer");
            bool flipOn = EvalSettings.FlipFor(atk is not null, pr.GetValue(flip), pr.GetValue(noFlip));
            if (pr.GetValue(flip) && atk is not null && proto == AttackProtocol.Legacy) throw new ConfigException("--flip is not part of the legacy protocol (the paper evaluates without flipping)");
            var ckpt = pr.GetValue(checkpoint) ?? cfg.Test.ModelPath
                ?? throw new ConfigException($"no checkpoint: give --checkpoint FILE or set TEST.model_path in {cfg.Source}");

            var rank = Distributed.DistributedLaunch.Start(cfg.Distributed.DistBackend, pr.GetValue(device)!);
            var group = rank.Group; // finalized by CliRunner after success (on an error it aborts the job instead)
            var dev = rank.Device;
            // Under mpirun each rank evaluates images r, r+N, ... and rank 0 prints and writes the totals.
            var console = group.Rank == 0 ? Console.Out : TextWriter.Null;
            if (Distributed.DistributedLaunch.Describe(rank) is { Length: > 0 } line) console.WriteLine(line);
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
