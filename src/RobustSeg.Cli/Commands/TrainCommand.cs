using System.CommandLine;
using System.Globalization;
using RobustSeg.Config;
using RobustSeg.Adversarial.Training;
using RobustSeg.Engine;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg train --config FILE [--set key=value]... [--device D] [--resume CKPT]`: trains in the
/// config's regime (nodefense, sat, ddcat) with a progress display, a per-iteration CSV log
/// (save_path/train_log.csv) and checkpoints every save_freq epochs and at the end.</summary>
public sealed class TrainCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("train", "Train PSPNet/DeepLabV3 with no defence, SAT or DDC-AT from a YAML config");
        var config = new ConfigCliOptions();
        var device = new Option<string>("--device") { Description = "cpu, ilgpu-cpu, cuda or auto", DefaultValueFactory = _ => "auto" };
        var resume = new Option<string?>("--resume") { Description = "checkpoint to continue from (overrides TRAIN.resume)" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress lines" };
        foreach (var o in config.All) cmd.Options.Add(o);
        cmd.Options.Add(device); cmd.Options.Add(resume); cmd.Options.Add(quiet);
        cmd.SetAction(pr =>
        {
            var cfg = config.Load(pr);
            // Under mpirun: this rank's device and process group (DistributedLaunch); alone: the device as asked.
            var rank = Distributed.DistributedLaunch.Start(cfg.Distributed.DistBackend, pr.GetValue(device)!);
            var group = rank.Group; // finalized by CliRunner after success (on an error it aborts the job instead)
            var dev = rank.Device;
            bool main = group.Rank == 0;
            if (main && Distributed.DistributedLaunch.Describe(rank) is { Length: > 0 } line) Console.WriteLine(line);
            var trainer = new Trainer(cfg, dev, new TrainerOptions
            {
                Resume = pr.GetValue(resume),
                Progress = pr.GetValue(quiet) ? null : Console.Out,
                Group = group,
            });
            // Ctrl+C stops after the current iteration; checkpoints already written stay resumable.
            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            Console.CancelKeyPress += onCancel;
            TrainResult r;
            try { r = trainer.Run(cts.Token); }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"interrupted; continue with --resume {cfg.Train.SavePath}/train_epoch_N.safetensors (the last saved epoch)");
                return 130;
            }
            finally { Console.CancelKeyPress -= onCancel; }
            if (main) Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "done: {0} iterations, {1} epochs in {2:F1} s ({3:F1} img/s); checkpoint {4}; log {5}",
                r.Iterations, r.EpochsCompleted, r.Seconds, r.ImagesPerSecond, r.FinalCheckpoint, r.LogPath ?? "-"));
            return 0;
        });
        return cmd;
    }
}
