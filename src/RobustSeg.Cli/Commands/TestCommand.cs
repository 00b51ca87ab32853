using System.CommandLine;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;
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
        var config = new Option<string>("--config") { Description = "YAML config (DATA, TRAIN, TEST sections)", Required = true };
        var checkpoint = new Option<string>("--checkpoint") { Description = "model checkpoint (.safetensors of this project, or an original .pth)", Required = true };
        var attack = new Option<string>("--attack") { Description = "none|" + string.Join("|", AttackFactory.Names.Skip(1)), DefaultValueFactory = _ => "none" };
        var source = new Option<string?>("--source-checkpoint") { Description = "black-box: craft the attack on this model, evaluate the --checkpoint model" };
        var flip = new Option<bool>("--flip") { Description = "average with the mirrored image's prediction (not with the legacy protocol)" };
        var saveDir = new Option<string?>("--save-dir") { Description = "where metrics.csv, per_class.csv, pred/ and perturbation/ go (default: TEST.save_folder)" };
        var limit = new Option<int?>("--limit") { Description = "evaluate only the first N images" };
        var shared = new AttackCliOptions();
        var device = new Option<string>("--device") { Description = "cpu, ilgpu-cpu, cuda or auto", DefaultValueFactory = _ => "auto" };
        var noImages = new Option<bool>("--no-images") { Description = "do not write per-image PNGs" };
        foreach (var o in new Option[] { config, checkpoint, attack, source, flip, saveDir, limit, device, noImages }.Concat(shared.All))
            cmd.Options.Add(o);
        cmd.SetAction(pr => NoLoaderIsUserError(() =>
        {
            var cfgPath = pr.GetValue(config)!;
            var cfg = EvalConfig.Load(cfgPath);
            var data = cfg.Data;
            var (atk, opts, proto) = shared.Create(pr, pr.GetValue(attack)!, cfg.IgnoreLabel);
            if (atk is null && pr.GetValue(source) is not null) throw new ArgumentException("--source-checkpoint needs an --attack to transfer");
            bool flipOn = pr.GetValue(flip);
            if (flipOn && atk is not null && proto == AttackProtocol.Legacy) throw new ArgumentException("--flip is not part of the legacy protocol (the paper evaluates without flipping)");

            var dev = Device.Get(pr.GetValue(device)!);
            var ds = data.Dataset("val");
            using var model = EvalModelSource.Load(pr.GetValue(checkpoint)!, cfgPath, cfg, dev);
            var srcModel = pr.GetValue(source) is { } sp ? EvalModelSource.Load(sp, cfgPath, cfg, dev) : null;
            try
            {
                var settings = new EvalSettings
                {
                    Classes = cfg.Classes, BaseSize = cfg.BaseSize, CropH = cfg.TestH, CropW = cfg.TestW,
                    Flip = flipOn, IgnoreIndex = cfg.IgnoreLabel, Attack = atk, AttackOptions = opts, Protocol = proto,
                    SaveDir = pr.GetValue(saveDir) ?? cfg.SaveFolder, SaveImages = !pr.GetValue(noImages),
                };
                Console.WriteLine($"model {model.Description} on {dev.Describe()}");
                Console.WriteLine($"data {ds.Count} images from {data.ValList}; base size {settings.BaseSize}, crop {settings.CropH}x{settings.CropW}{(flipOn ? ", flip" : "")}");
                Console.WriteLine($"attack: {AttackSetup.Describe(atk, opts, proto)}{(srcModel is null ? "" : $"; black-box from {pr.GetValue(source)}")}");
                var ev = new Evaluator(dev, model.Forward, srcModel?.Forward);
                var limitN = pr.GetValue(limit);
                var scores = ev.Run(DatasetSamples.Enumerate(ds, limitN), settings, limitN, ds.Count);
                Console.Write(EvalReport.Table(scores));
                if (settings.SaveDir is not null) Console.WriteLine($"wrote metrics.csv and per_class.csv to {settings.SaveDir}");
                return 0;
            }
            finally { srcModel?.Dispose(); }
        }));
        return cmd;
    }

    /// <summary>A build without a model loader is a setup problem, not a crash: one line, exit 2.</summary>
    internal static int NoLoaderIsUserError(Func<int> body)
    {
        try { return body(); }
        catch (NotSupportedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
