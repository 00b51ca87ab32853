using NUnit.Framework;

namespace RobustSeg.Distributed.Tests;

/// <summary>`robustseg bench allreduce`: under mpirun the job's group sums a device tensor (the bench checks the
/// sum on every rank before timing) and rank 0 alone prints the row; nccl off cuda is a user error.</summary>
[NonParallelizable]
public class AllReduceBenchTests
{
    [Test]
    public void TwoRanksSumAndRankZeroReports()
    {
        Jobs.RequireMpirun();
        var output = Jobs.Ok(2, Path.GetTempPath(), "bench allreduce --floats 4096 --backend mpi --device cpu");
        var rows = output.Split('\n').Where(l => l.StartsWith("allreduce,", StringComparison.Ordinal)).ToList();
        Assert.That(rows, Has.Count.EqualTo(1), output);
        Assert.That(rows[0], Does.StartWith("allreduce,cpu,4096x2:mpi,"), output);
    }

    [Test]
    public void NcclNeedsCuda()
    {
        Jobs.RequireMpirun();
        var (rc, output) = Jobs.Run(0, Path.GetTempPath(), "bench allreduce --floats 16 --backend nccl --device cpu");
        Assert.That(rc, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("--backend nccl needs --device cuda"), output);
    }
}
