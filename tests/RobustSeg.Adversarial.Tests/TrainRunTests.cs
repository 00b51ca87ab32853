using RobustSeg.Tests;
using RobustSeg.Data;
using System.Globalization;
using NUnit.Framework;
using RobustSeg.Adversarial.Training;
using RobustSeg.Engine;
using RobustSeg.Nn.IO;

namespace RobustSeg.Adversarial.Tests;

public class TrainRunTests
{
    static List<IterationRecord> Train(string regime, string dir, int epochs, string? resume = null, int? stopAfter = null, params string[] extra)
    {
        var cfg = TrainTestSupport.TinyConfig(regime, dir, epochs, extra);
        var recs = new List<IterationRecord>();
        new Trainer(cfg, Device.Cpu, new TrainerOptions { Resume = resume, StopAfterEpoch = stopAfter, OnIteration = recs.Add }).Run();
        return recs;
    }

    [TestCase("nodefense")]
    [TestCase("sat")]
    [TestCase("ddcat")]
    public void LossFalls(string regime)
    {
        var dir = TrainTestSupport.TempDir("falls-" + regime);
        var recs = Train(regime, dir, 4);
        Assert.That(recs, Has.Count.EqualTo(8));
        double first = recs.Take(2).Average(r => r.MainLoss), last = recs.TakeLast(2).Average(r => r.MainLoss);
        TestContext.Out.WriteLine($"{regime}: main loss {first:F4} -> {last:F4}");
        Assert.That(last, Is.LessThan(first));
        Assert.That(File.Exists(Path.Combine(dir, "train_epoch_4.safetensors")));
        var log = TrainLog.Read(Path.Combine(dir, "train_log.csv"));
        Assert.That(log, Has.Count.EqualTo(8));
        if (regime == "ddcat") Assert.That(recs.Any(r => r.MaskLoss > 0));
    }

    [Test]
    public void PolyLrSetBeforeEachStepAsTheOriginal()
    {
        // The original's tool_train/train_*.py call poly_learning_rate(current_iter = epoch*len + i + 1) before
        // optimizer.step(): step k (1-based) runs at base * (1 - k/max_iter)^0.9, heads at 10x, the last step at 0.
        var dir = TrainTestSupport.TempDir("poly");
        var recs = Train("nodefense", dir, 3);
        const long max = 6;
        Assert.That(recs, Has.Count.EqualTo(max));
        foreach (var r in recs.Take(3).Concat(recs.TakeLast(3)))
        {
            double f = Math.Pow(1 - (double)r.Iteration / max, 0.9);
            Assert.That(r.Lr, Is.EqualTo(0.02 * f).Within(1e-12), $"backbone lr at step {r.Iteration}");
            Assert.That(r.HeadLr, Is.EqualTo(0.2 * f).Within(1e-12), $"heads lr at step {r.Iteration}");
        }
        Assert.That(recs[0].Lr, Is.LessThan(0.02), "the first step already runs below base_lr");
        Assert.That(recs[^1].Lr, Is.EqualTo(0), "the last step runs at 0");
        // The CSV carries both rates.
        var csv = Path.Combine(dir, "train_log.csv");
        var log = TrainLog.Read(csv);
        int lr = Column(csv, "lr"), heads = Column(csv, "lr_heads");
        Assert.That(log.Select(row => double.Parse(row[heads], CultureInfo.InvariantCulture)), Is.EqualTo(recs.Select(r => r.HeadLr)));
        Assert.That(log.Select(row => double.Parse(row[lr], CultureInfo.InvariantCulture)), Is.EqualTo(recs.Select(r => r.Lr)));
    }

    /// <summary>The index of a column in a log file's own header (fails the test when it is missing).</summary>
    internal static int Column(string csv, string name)
    {
        int i = Array.IndexOf(File.ReadLines(csv).First().Split(','), name);
        Assert.That(i, Is.GreaterThanOrEqualTo(0), $"column {name} in {csv}");
        return i;
    }

    [Test]
    public void SameSeedSameLosses()
    {
        var a = Train("sat", TrainTestSupport.TempDir("det-a"), 1);
        var b = Train("sat", TrainTestSupport.TempDir("det-b"), 1);
        Assert.That(b.Select(r => (r.MainLoss, r.AuxLoss, r.PixelAccuracy)), Is.EqualTo(a.Select(r => (r.MainLoss, r.AuxLoss, r.PixelAccuracy))));
    }

    [Test]
    public void ResumeContinuesBitForBit()
    {
        var whole = TrainTestSupport.TempDir("whole");
        var full = Train("ddcat", whole, 3);
        var parts = TrainTestSupport.TempDir("parts");
        var first = Train("ddcat", parts, 3, stopAfter: 1);
        Assert.That(first, Has.Count.EqualTo(2));
        var rest = Train("ddcat", parts, 3, resume: Path.Combine(parts, "train_epoch_1.safetensors"));
        Assert.That(rest, Has.Count.EqualTo(4));
        Assert.That(rest[0].Iteration, Is.EqualTo(3));
        var joined = first.Concat(rest).Select(Key).ToList();
        Assert.That(joined, Is.EqualTo(full.Select(Key).ToList()));

        // Same final weights and optimizer state, bit for bit.
        using var a = SafeTensors.Load(Path.Combine(whole, "train_epoch_3.safetensors"), Device.Cpu);
        using var b = SafeTensors.Load(Path.Combine(parts, "train_epoch_3.safetensors"), Device.Cpu);
        Assert.That(b.Tensors.Keys, Is.EquivalentTo(a.Tensors.Keys));
        foreach (var (k, t) in a.Tensors)
            Assert.That(b.Tensors[k].DType == DType.Int32 ? (object)b.Tensors[k].ToIntArray() : b.Tensors[k].ToArray(),
                Is.EqualTo(t.DType == DType.Int32 ? (object)t.ToIntArray() : t.ToArray()), k);
        // The resumed log reads as one run.
        var log = TrainLog.Read(Path.Combine(parts, "train_log.csv"));
        Assert.That(log.Select(r => long.Parse(r[0], CultureInfo.InvariantCulture)), Is.EqualTo(new long[] { 1, 2, 3, 4, 5, 6 }));
    }

    static (long, double, double, double, double, double) Key(IterationRecord r) =>
        (r.Iteration, r.Lr, r.MainLoss, r.AuxLoss, r.MaskLoss, r.RoutedFraction);

    [Test]
    public void ResumeRefusesAnotherModel()
    {
        var dir = TrainTestSupport.TempDir("other");
        Train("nodefense", dir, 1);
        var ck = Path.Combine(dir, "train_epoch_1.safetensors");
        var e = Assert.Throws<Config.ConfigException>(() => Train("nodefense", TrainTestSupport.TempDir("other2"), 2, resume: ck, extra: "width=0.25"))!;
        Assert.That(e.Message, Does.Contain(ck));
    }

    [Test]
    public void InitialWeightsLoadStrictly()
    {
        var dir = TrainTestSupport.TempDir("weights");
        using (var scope = Tensor.Scope())
        using (var m = TrainTestSupport.TinyModel(Device.Cpu, ddcat: false, seed: 99))
            SafeTensors.Save(Path.Combine(dir, "init.safetensors"), m.StateDict());
        var cfg = TrainTestSupport.TinyConfig("nodefense", dir, 1, "weight=" + Path.Combine(dir, "init.safetensors"));
        var r = new Trainer(cfg, Device.Cpu).Run();
        Assert.That(File.Exists(r.FinalCheckpoint));

        // A DDC-AT model cannot start from a plain model's weights: strict keys.
        var bad = TrainTestSupport.TinyConfig("ddcat", TrainTestSupport.TempDir("weights-bad"), 1, "weight=" + Path.Combine(dir, "init.safetensors"));
        var e = Assert.Catch(() => new Trainer(bad, Device.Cpu).Run())!;
        Assert.That(e.Message, Does.Contain("cls1").Or.Contain("cls."));
    }

    [Test]
    public void ShippedSyntheticConfigTrains()
    {
        var root = TrainTestSupport.SyntheticRoot();
        var dir = TrainTestSupport.TempDir("shipped");
        var cfg = Config.RunConfig.Load(Path.Combine(RepoPaths.Root, "config", "synthetic", "synthetic_psp18_ddcat.yaml"),
            ["data_root=" + root, "classes=" + TrainTestSupport.Classes, "train_h=33", "train_w=33", "epochs=1", "save_path=" + dir]);
        Assert.That(DataConfig.From(cfg).TrainList, Is.EqualTo(Path.Combine(root, "train.txt")));
        var r = new Trainer(cfg, Device.Cpu).Run();
        Assert.That(r.Iterations, Is.EqualTo(1));
        Assert.That(r.FinalCheckpoint, Is.EqualTo(Path.Combine(dir, "train_epoch_1.safetensors")));
        Assert.That(File.ReadAllText(Path.Combine(dir, "config.yaml")), Does.Contain("regime: ddcat"));
    }

    [Test]
    public void InitialWeightsFromOriginalPth()
    {
        // The models' PyTorch reference checkpoint: ResNet-18 layout at width 1/16, 5 classes, `module.` keys.
        var pth = Path.Combine(RepoPaths.Root, "tests", "RobustSeg.Models.Tests", "Data", "torch", "psp.pth");
        Assume.That(File.Exists(pth), "the models' reference .pth is not in this checkout");
        var dir = TrainTestSupport.TempDir("pth");
        var cfg = TrainTestSupport.TinyConfig("nodefense", dir, 1, "width=0.0625", "classes=5", "weight=" + pth);
        var trainer = new Trainer(cfg, Device.Cpu, new TrainerOptions { StopAfterEpoch = 0 });
        var r = trainer.Run();
        using var f = SafeTensors.Load(r.FinalCheckpoint, Device.Cpu);
        using var scope = Tensor.Scope();
        var sd = Models.Import.PthReader.ReadStateDict(pth, Device.Cpu, out _);
        Assert.That(f.Tensors["cls.4.weight"].ToArray(), Is.EqualTo(sd["cls.4.weight"].ToArray()));
        foreach (var t in sd.Values) t.Dispose();
    }

    [Test]
    public void MissingDataIsNamed()
    {
        var cfg = TrainTestSupport.TinyConfig("nodefense", TrainTestSupport.TempDir("nodata"), 1, "data_root=/nonexistent/robustseg-data");
        var e = Assert.Throws<Config.ConfigException>(() => new Trainer(cfg, Device.Cpu).Run())!;
        Assert.That(e.Message, Does.Contain("DATA.data_root").And.Contain("/nonexistent/robustseg-data"));
        cfg = TrainTestSupport.TinyConfig("nodefense", TrainTestSupport.TempDir("nolist"), 1, "train_list=missing_list.txt");
        e = Assert.Throws<Config.ConfigException>(() => new Trainer(cfg, Device.Cpu).Run())!;
        Assert.That(e.Message, Does.Contain("DATA.train_list").And.Contain("missing_list.txt"));
    }

    [Test]
    public void EvaluateValidatesEveryEpoch()
    {
        var cfg = TrainTestSupport.TinyConfig("nodefense", TrainTestSupport.TempDir("eval"), 1, "evaluate=true", "batch_size_val=2");
        var trainer = new Trainer(cfg, Device.Cpu);
        trainer.Run();
        var v = trainer.LastValidation!;
        Assert.That(v.IoU, Has.Length.EqualTo(TrainTestSupport.Classes));
        Assert.That(v.MIoU, Is.InRange(0.0, 1.0));
        Assert.That(v.AllAcc, Is.InRange(0.0, 1.0));
    }

    [Test]
    public void IntersectionAndUnionAsSemseg()
    {
        // labels 0 0 1 255, predictions 0 1 1 0: class 0: I 1, U 2 (pixel 1 predicted 1 counts for class 1's union);
        // the ignored pixel's prediction is not counted.
        // Validation during training accumulates with the same class as `test`.
        var acc = new Metrics.SegMetricAccumulator(2, 255);
        acc.Add([0, 1, 1, 0], [0, 0, 1, 255]);
        Assert.That(acc.Intersection, Is.EqualTo(new long[] { 1, 1 }));
        Assert.That(acc.Union, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(acc.Target, Is.EqualTo(new long[] { 2, 1 }));
        var e = Assert.Throws<DataFileException>(() => acc.Add([0, 0], [0, 7], "lab/x.png"))!;
        Assert.That(e.Message, Does.Contain("lab/x.png").And.Contain("label value 7"));
    }
}
