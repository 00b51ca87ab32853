using System.Diagnostics;
using NUnit.Framework;
using RobustSeg.Distributed;

namespace RobustSeg.Distributed.Tests;

/// <summary>Launches the probe with `mpirun -np 2` as a child process (timeout: a hang fails the test).</summary>
public class MpiProbeTests
{
    static string ProbeDll()
    {
        var cfg = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/')))!;
        var dir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../RobustSeg.Distributed.Probe/bin", cfg, "net10.0"));
        return Path.Combine(dir, "RobustSeg.Distributed.Probe.dll");
    }

    static (int Rc, string Out) Mpirun(string args)
    {
        var psi = new ProcessStartInfo("mpirun",
            $"--allow-run-as-root --oversubscribe -np 2 dotnet \"{ProbeDll()}\" {args}")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("mpirun did not start");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); Assert.Fail("mpirun job hung (killed after 120 s)"); }
        return (p.ExitCode, so.Result + se.Result);
    }

    [OneTimeSetUp]
    public void RequireMpirun()
    {
        if (!File.Exists("/usr/bin/mpirun")) Assert.Ignore("Open MPI not installed (.ci/run installs it)");
        Assert.That(File.Exists(ProbeDll()), ProbeDll());
    }

    [Test]
    public void AllReduceBroadcastAllGatherAgreeOnBothRanks()
    {
        var (rc, output) = Mpirun("");
        Assert.That(rc, Is.EqualTo(0), output);
        foreach (var r in new[] { 0, 1 })
            Assert.That(output, Does.Contain($"rank {r}/2: sum=3,30 bcast=42 gather=0,1 tensor=1,2"), output);
    }

    [Test]
    public void FailingRankStopsTheJobAndIsNamed()
    {
        var (rc, output) = Mpirun("fail 1");
        Assert.That(rc, Is.Not.EqualTo(0), output);
        Assert.That(output, Does.Contain("error: rank 1: probe failure requested"), output);
        Assert.That(output, Does.Not.Contain("rank 0/2: sum="), "rank 0 must not finish its collectives");
    }

    [Test]
    public void WithoutMpirunTheGroupIsTheIdentity()
    {
        using var g = ProcessGroups.Create("nccl", deviceIsCuda: false);
        Assert.That((g.Rank, g.WorldSize, g.Backend), Is.EqualTo((0, 1, "single")));
        var v = new float[] { 2, 4 };
        g.AllReduceMean(v.AsSpan());
        Assert.That(v, Is.EqualTo(new float[] { 2, 4 }));
    }
}
