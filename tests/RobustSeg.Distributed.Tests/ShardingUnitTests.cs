using NUnit.Framework;

namespace RobustSeg.Distributed.Tests;

/// <summary>The pure rules of data-parallel runs, without processes.</summary>
public class ShardingUnitTests
{
    [Test]
    public void HalfAndHalfShardsKeepTheGlobalCleanAndAdversarialHalves()
    {
        // Global batch 8 on 2 ranks: clean half = positions 0..3, adversarial half 4..7.
        Assert.That(BatchShard.Positions(8, 0, 2, halves: true), Is.EqualTo(new[] { 0, 1, 4, 5 }));
        Assert.That(BatchShard.Positions(8, 1, 2, halves: true), Is.EqualTo(new[] { 2, 3, 6, 7 }));
        Assert.That(BatchShard.Positions(8, 0, 1, halves: true), Is.EqualTo(Enumerable.Range(0, 8)));
        Assert.That(BatchShard.Positions(6, 2, 3, halves: false), Is.EqualTo(new[] { 4, 5 }));
        var all = Enumerable.Range(0, 4).SelectMany(r => BatchShard.Positions(16, r, 4, true)).Order();
        Assert.That(all, Is.EqualTo(Enumerable.Range(0, 16)));
    }

    [Test]
    public void AGlobalBatchThatDoesNotSplitIsAnError()
    {
        Assert.That(() => BatchShard.Positions(6, 0, 4, halves: false), Throws.ArgumentException.With.Message.Contains("divisible by the 4 ranks"));
        Assert.That(() => BatchShard.Positions(6, 0, 2, halves: true), Throws.ArgumentException.With.Message.Contains("multiple of 4"));
    }

    [Test]
    public void EvaluationShardsCoverTheListOnce()
    {
        for (int n = 0; n < 7; n++)
            Assert.That(Enumerable.Range(0, 3).Sum(r => BatchShard.OwnedCount(n, r, 3)), Is.EqualTo(n));
        Assert.That(Enumerable.Range(0, 7).Where(i => BatchShard.Owns(i, 1, 3)), Is.EqualTo(new[] { 1, 4 }));
        Assert.That(BatchShard.OwnedCount(7, 1, 3), Is.EqualTo(2));
    }

    [Test]
    public void EachRankGetsAShareOfTheCores()
    {
        Assert.That(CpuShare.ThreadsPerRank(16, 4, null), Is.EqualTo(4));
        Assert.That(CpuShare.ThreadsPerRank(2, 2, null), Is.EqualTo(1));
        Assert.That(CpuShare.ThreadsPerRank(1, 2, null), Is.EqualTo(1), "never zero");
        Assert.That(CpuShare.ThreadsPerRank(16, 4, "3"), Is.EqualTo(3));
        Assert.That(() => CpuShare.ThreadsPerRank(16, 4, "zero"), Throws.ArgumentException.With.Message.Contains("ROBUSTSEG_THREADS"));
    }

    [Test]
    public void TheFingerprintCoversConfigAndCode()
    {
        var a = RunFingerprint.Of("TRAIN:\n  base_lr: 0.01\n", "RobustSeg.Adversarial/1.0.0.0/mvid-a");
        Assert.That(RunFingerprint.Of("TRAIN:\n  base_lr: 0.01\n", "RobustSeg.Adversarial/1.0.0.0/mvid-a"), Is.EqualTo(a));
        Assert.That(RunFingerprint.Of("TRAIN:\n  base_lr: 0.02\n", "RobustSeg.Adversarial/1.0.0.0/mvid-a"), Is.Not.EqualTo(a));
        Assert.That(RunFingerprint.Of("TRAIN:\n  base_lr: 0.01\n", "RobustSeg.Adversarial/1.0.0.0/mvid-b"), Is.Not.EqualTo(a), "another build");
        // With one process there is nothing to compare.
        Assert.DoesNotThrow(() => RunFingerprint.Check(SingleProcessGroup.Instance, a, "config"));
    }
}
