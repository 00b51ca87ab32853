using RobustSeg.Adversarial.Loading;
using System.Diagnostics;
using System.Globalization;
using RobustSeg.Config;
using RobustSeg.Engine;
using RobustSeg.Models;
using RobustSeg.Nn;

namespace RobustSeg.Adversarial.Training;

/// <summary>A training run of a config on a device: model from TRAIN (arch, layers, width, ddcat), SGD with
/// semseg's parameter groups (backbone at base_lr, heads at 10x), poly LR per iteration, the regime's step,
/// a CSV log, checkpoints every save_freq epochs and at the end. The library entry point of `robustseg train`
/// and `robustseg reproduce`.</summary>
public sealed class Trainer
{
    public RunConfig Config { get; }
    public Device Device { get; }
    public TrainerOptions Options { get; }

    public Trainer(RunConfig config, Device device, TrainerOptions? options = null)
    {
        Config = config;
        Device = device;
        Options = options ?? new TrainerOptions();
    }

    /// <summary>The last per-epoch validation (`evaluate: True`), or null.</summary>
    public Validation.Result? LastValidation { get; private set; }

    public TrainResult Run(CancellationToken cancel = default)
    {
        var cfg = Config;
        var t = cfg.Train;
        var total = Stopwatch.StartNew();
        var dp = _dp = new DataParallel(Options.Group);
        dp.CheckSameRun(cfg);
        var loader = TrainingData.TrainLoader(cfg, Device, dp.Shard(t));
        int perEpoch = loader.BatchesPerEpoch;
        long maxIter = (long)t.Epochs * perEpoch;

        using var model = ModelFactory.Create(ModelLoader.ConfigOf(cfg), Device);
        var resume = Options.Resume ?? t.Resume;
        if (!string.IsNullOrWhiteSpace(t.Weight)) ModelLoader.LoadWeights(model, t.Weight, "TRAIN.weight");
        else if (!string.IsNullOrWhiteSpace(t.BackboneWeights) && string.IsNullOrWhiteSpace(resume))
        {
            // As the original with `weight:` empty: an ImageNet-initialised backbone (heads keep their init).
            var dropped = ModelLoader.LoadBackbone(model, t.BackboneWeights, "TRAIN.backbone_weights");
            Say($"=> backbone from {t.BackboneWeights}{(dropped.Count > 0 ? $" (dropped {string.Join(", ", dropped)})" : "")}");
        }
        using var optimizer = model.CreateOptimizer(t.BaseLr, t.Momentum, t.WeightDecay);
        var poly = new PolyLR(optimizer, maxIter, t.Power);
        var step = TrainStep.FromConfig(model, optimizer, t);

        int startEpoch = t.StartEpoch;
        long iteration = (long)startEpoch * perEpoch;
        if (!string.IsNullOrWhiteSpace(resume))
        {
            (startEpoch, iteration) = TrainCheckpoint.Load(resume, model, optimizer, cfg);
            if (iteration != (long)startEpoch * perEpoch)
                throw new ConfigException($"resume: {resume} is at iteration {iteration} of epoch {startEpoch}, but the dataset gives {perEpoch} iterations per epoch (different data or batch_size?)");
            Say($"=> resumed from {resume} (epoch {startEpoch}, iteration {iteration})");
        }
        dp.Attach(model, step, t);

        Directory.CreateDirectory(t.SavePath);
        TrainLog? log = null;
        if (Options.WriteLog && dp.IsMain)
        {
            cfg.Save(Path.Combine(t.SavePath, "config.yaml"));
            log = new TrainLog(Path.Combine(t.SavePath, "train_log.csv"), iteration);
        }
        Say($"=> {model.Config.Describe()}, regime {t.Regime.ToKey()}, {model.ParameterCount():N0} parameters, device {Device}");
        Say($"=> {loader.Dataset.Count} training images, batch {t.BatchSize}{(dp.World > 1 ? $" ({dp.World} ranks x {t.BatchSize / dp.World}{(t.SyncBn ? ", sync_bn" : "")})" : "")}, {perEpoch} iterations/epoch, {t.Epochs} epochs ({maxIter} iterations)");

        string? lastCheckpoint = null;
        IterationRecord? last = null;
        long images = 0;
        var runClock = Stopwatch.StartNew();
        long firstIteration = iteration;
        int stopEpoch = Options.StopAfterEpoch is { } s ? Math.Min(s, t.Epochs) : t.Epochs;
        int epoch = startEpoch;
        try
        {
            for (; epoch < stopEpoch; epoch++)
            {
                int i = 0;
                var iterClock = System.Diagnostics.Stopwatch.StartNew();
                foreach (var batch in loader.Epoch(epoch))
                {
                    using (batch)
                    {
                        cancel.ThrowIfCancellationRequested();
                        iteration++; i++;
                        // As the original (tool_train/train_*.py): before the step, current_iter = epoch*len + i + 1,
                        // so step k (1-based) runs at base * (1 - k/max_iter)^power, the last one at 0.
                        poly.Apply(iteration);
                        // Seconds as semseg's batch time: from the previous iteration's end, data wait included.
                        dp.BeforeStep(step, batch.Labels!, t.IgnoreLabel);
                        var rec = dp.Reduce(step.Run(batch.Images, batch.Labels!, iteration, epoch + 1, i), t.AuxWeight)
                            with { Seconds = iterClock.Elapsed.TotalSeconds };
                        iterClock.Restart();
                        images += batch.Count * dp.World;
                        last = rec;
                        log?.Write(rec);
                        Options.OnIteration?.Invoke(rec);
                        if (i % t.PrintFreq == 0 || i == perEpoch) Progress(rec, t.Epochs, perEpoch, maxIter, iteration - firstIteration, images, runClock.Elapsed.TotalSeconds);
                    }
                }
                int done = epoch + 1;
                if (done % t.SaveFreq == 0 || done == t.Epochs)
                {
                    lastCheckpoint = TrainCheckpoint.PathFor(t.SavePath, done);
                    if (dp.IsMain) TrainCheckpoint.Save(lastCheckpoint, model, optimizer, cfg, done, iteration);
                    dp.Barrier();
                    Say($"=> saved {lastCheckpoint}");
                }
                if (t.Evaluate)
                {
                    var v = Validation.Run(model, cfg, Device, dp.Group);
                    LastValidation = v;
                    Say(string.Format(CultureInfo.InvariantCulture, "Val result (epoch {0}): loss {1:F4} mIoU/mAcc/allAcc {2:F4}/{3:F4}/{4:F4}",
                        done, v.Loss, v.MIoU, v.MAcc, v.AllAcc));
                }
                if (log is not null) TrainCurves.AfterEpoch(log.Path, done, iteration, t.Evaluate ? LastValidation : null);
            }
        }
        finally { log?.Dispose(); }
        if (dp.World > 1)
            Say(string.Format(CultureInfo.InvariantCulture, "=> rank 0 spent {0:F2} s of {1:F2} s of training in collectives ({2:P1})",
                dp.CommSeconds, runClock.Elapsed.TotalSeconds, dp.CommSeconds / Math.Max(1e-9, runClock.Elapsed.TotalSeconds)));
        if (lastCheckpoint is null)
        {
            // Stopped before any save point: keep the state anyway so the work is not lost.
            lastCheckpoint = TrainCheckpoint.PathFor(t.SavePath, epoch);
            if (dp.IsMain) TrainCheckpoint.Save(lastCheckpoint, model, optimizer, cfg, epoch, iteration);
            dp.Barrier();
        }
        double secs = total.Elapsed.TotalSeconds;
        return new TrainResult(lastCheckpoint, secs, iteration, epoch, images / Math.Max(1e-9, runClock.Elapsed.TotalSeconds), last,
            log?.Path);
    }

    DataParallel? _dp;
    bool Quiet => _dp is { IsMain: false };

    void Say(string line) { if (!Quiet) Options.Progress?.WriteLine(line); }

    void Progress(IterationRecord r, int epochs, int perEpoch, long maxIter, long doneThisRun, long images, double secs)
    {
        if (Options.Progress is null || Quiet) return;
        double ips = images / Math.Max(1e-9, secs);
        double perIter = secs / Math.Max(1, doneThisRun);
        var eta = TimeSpan.FromSeconds(perIter * (maxIter - r.Iteration));
        var inv = CultureInfo.InvariantCulture;
        var mask = Config.Train.Regime == Regime.DdcAt ? string.Format(inv, " mask {0:F4} targets=1 {1:P1} cls2 clean/adv {2:P1}/{3:P1}",
            r.MaskLoss, r.MaskTargetOnes, r.RoutedClean, r.RoutedAdv) : "";
        Options.Progress.WriteLine(string.Format(inv,
            "Epoch [{0}/{1}][{2}/{3}] iter {4}/{5} loss {6:F4} main {7:F4} aux {8:F4}{9} acc {10:F3} lr {11:G4} {12:F1} img/s ETA {13:hh\\:mm\\:ss}",
            r.Epoch, epochs, r.IterInEpoch, perEpoch, r.Iteration, maxIter, r.TotalLoss, r.MainLoss, r.AuxLoss, mask, r.PixelAccuracy, r.Lr, ips, eta));
    }
}
