using NUnit.Framework;

namespace RobustSeg.Distributed.Tests;

/// <summary>`mpirun -np 2 robustseg test` (issue 14, 5b): each rank evaluates images r, r+2, ... and the integer
/// intersection / union / target counts are summed, so metrics.csv and per_class.csv are byte for byte the
/// one-process files; every image's prediction is written by the rank that owns it.</summary>
[NonParallelizable]
public class ShardedEvaluationTests
{
    TinyData _data = null!;
    const string Checkpoint = "model/train_epoch_1.safetensors";

    [OneTimeSetUp]
    public void Setup()
    {
        Jobs.RequireMpirun();
        _data = new TinyData();
        Jobs.Ok(0, _data.Dir, TinyData.Train("nodefense", "model"));
    }

    [OneTimeTearDown]
    public void TearDown() => _data?.Dispose();

    [TestCase("clean", "")]
    [TestCase("legacy", "--attack bim --protocol legacy")]
    [TestCase("blackbox_strong", "--attack pgd --protocol strong --steps 2 --eps 8/255 --source-checkpoint " + Checkpoint)]
    public void ShardedTestGivesExactlyTheOneProcessMetrics(string name, string attack)
    {
        string Args(string dir) => $"test --config {Jobs.Config("nodefense")} --device cpu --set data_root=data --set base_size=33 " +
            $"--set test_h=33 --set test_w=33 --checkpoint {Checkpoint} --save-dir {dir} {attack}";
        Jobs.Ok(0, _data.Dir, Args($"{name}_n1"));
        var output = Jobs.Ok(2, _data.Dir, Args($"{name}_n2"));
        Assert.That(output, Does.Contain("mIoU").IgnoreCase, output);
        foreach (var f in new[] { "metrics.csv", "per_class.csv" })
            Assert.That(File.ReadAllText(Path.Combine(_data.Dir, $"{name}_n2", f)), Is.EqualTo(File.ReadAllText(Path.Combine(_data.Dir, $"{name}_n1", f))), f);
        Assert.That(File.ReadAllText(Path.Combine(_data.Dir, $"{name}_n2", "metrics.csv")), Does.Contain(",4,"), "4 images counted");
        var one = Directory.GetFiles(Path.Combine(_data.Dir, $"{name}_n1", "pred")).Select(Path.GetFileName).Order().ToList();
        var two = Directory.GetFiles(Path.Combine(_data.Dir, $"{name}_n2", "pred")).Select(Path.GetFileName).Order().ToList();
        Assert.That(two, Is.EqualTo(one).And.Count.EqualTo(4));
        foreach (var f in one)
            Assert.That(File.ReadAllBytes(Path.Combine(_data.Dir, $"{name}_n2", "pred", f!)),
                Is.EqualTo(File.ReadAllBytes(Path.Combine(_data.Dir, $"{name}_n1", "pred", f!))), f);
    }

    /// <summary>A robustness sweep (clean + PGD at two radii in one pass) sharded over 2 ranks writes exactly the
    /// one-process robustness.csv, from rank 0 alone.</summary>
    [Test]
    public void ShardedSweepGivesExactlyTheOneProcessTable()
    {
        string Args(string dir) => $"test --config {Jobs.Config("nodefense")} --device cpu --set data_root=data --set base_size=33 " +
            $"--set test_h=33 --set test_w=33 --checkpoint {Checkpoint} --save-dir {dir} --no-images --attack pgd --steps 2 --eps 4,8/255";
        Jobs.Ok(0, _data.Dir, Args("sweep_n1"));
        var output = Jobs.Ok(2, _data.Dir, Args("sweep_n2"));
        // Rank 0 reports its own shard (2 of the 4 images); a rank that evaluated everything would reach [4/..].
        Assert.That(output, Does.Contain("[2/2]").And.Not.Contain("[3/"), output);
        var one = File.ReadAllText(Path.Combine(_data.Dir, "sweep_n1", "robustness.csv"));
        Assert.That(one.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(4), "header, clean and two radii");
        Assert.That(File.ReadAllText(Path.Combine(_data.Dir, "sweep_n2", "robustness.csv")), Is.EqualTo(one));
    }
}
