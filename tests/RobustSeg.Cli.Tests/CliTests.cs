using NUnit.Framework;
using RobustSeg.Cli;

namespace RobustSeg.Cli.Tests;

[NonParallelizable] // the runner swaps Console.Out
public class CliTests
{
    [Test]
    public void InfoListsDevicesAndTheAutoChoice()
    {
        var (code, output, _) = CliRunner.Capture("info");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain("cpu:").And.Contain("ilgpu-cpu:").And.Contain("auto picks:"));
    }

    [Test]
    public void InfoReportsTheHostSimdPathAndPeak()
    {
        var (code, output, _) = CliRunner.Capture("info");
        Assert.That(code, Is.EqualTo(0));
        var simd = RobustSeg.Engine.Cpu.HostGemm.SimdPath;
        Assert.That(output, Does.Contain("host SIMD: " + simd));
        Assert.That(output, Does.Contain("host fp32 FMA peak: "));
    }

    [Test]
    public void BenchPeakPrintsAPositiveGflopsFigurePerWidth()
    {
        var (code, output, err) = CliRunner.Capture("bench", "peak", "--seconds", "0.2");
        Assert.That(code, Is.EqualTo(0), err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines[0], Is.EqualTo(RobustSeg.Benchmarks.BenchCsv.Header));
        var widths = RobustSeg.Benchmarks.PeakProbe.Widths();
        Assert.That(lines, Has.Length.EqualTo(1 + widths.Count));
        for (int i = 0; i < widths.Count; i++)
        {
            var cells = lines[1 + i].Split(',');
            Assert.That(cells[0], Is.EqualTo("peak"));
            Assert.That(cells[2], Does.StartWith($"fma{widths[i]}_"));
            double gflops = double.Parse(cells[6], System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(gflops, Is.GreaterThan(0));
            Assert.That(err, Does.Contain($"fp32 FMA peak, {widths[i]}-bit: "));
        }
    }

    [Test]
    public void BenchPeakRejectsANonPositiveDuration()
    {
        var (code, _, err) = CliRunner.Capture("bench", "peak", "--seconds", "0");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--seconds must be in (0, 600]"));
    }

    [Test]
    public void BenchModelProfileAddsOneRowPerOpAfterTheTimedRow()
    {
        var (code, output, err) = CliRunner.Capture("bench", "model", "--layers", "18", "--width", "0.25", "--size", "33",
            "--cases", "fwd", "--profile");
        Assert.That(code, Is.EqualTo(0), err);
        var cases = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1)
            .Select(l => l.Split(',')).ToList();
        Assert.That(cases[0][0], Is.EqualTo("model_fwd"));
        var ops = cases.Skip(1).ToList();
        Assert.That(ops.Select(c => c[0]), Is.All.EqualTo("model_fwd_op"));
        Assert.That(ops.Select(c => c[2]), Has.Some.Contains(":Conv2dForward 3x3").And.Some.EndsWith(":(outside ops)"));
        Assert.That(err, Does.Contain("profile of 3 fwd runs"));
    }

    [Test]
    public void BenchServeRunsEachLinesCountAndAnswersWithTheirMedian()
    {
        int calls = 0;
        var output = new StringWriter();
        RobustSeg.Benchmarks.BenchRunner.Serve(() => calls++, null, new StringReader("1\n3\n\nx\n"), output, warmupSeconds: 0);
        Assert.That(calls, Is.EqualTo(2 + 1 + 3 + 1 + 1), "two warm-up runs, then 1, 3, an empty line's 1 and a non-number's 1");
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines[0], Is.EqualTo("serve_ready"));
        Assert.That(lines.Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(Enumerable.Repeat("serve_ms", 4)));
    }

    [Test]
    public void BenchServeAnswersEachInputLineOnEveryTimedSuite()
    {
        var input = Console.In;
        Console.SetIn(new StringReader("1\n3\n\n"));   // run counts; an empty line is one run
        try
        {
            var (code, output, err) = CliRunner.Capture("bench", "model", "--layers", "18", "--width", "0.25", "--size", "33",
                "--cases", "attack", "--serve");
            Assert.That(code, Is.EqualTo(0), err);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(l => l.StartsWith("serve_")).ToList();
            Assert.That(lines[0], Is.EqualTo("serve_ready"));
            Assert.That(lines.Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "serve_ms", "serve_ms", "serve_ms" }));
            Assert.That(lines.Skip(1).Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)), Is.All.GreaterThan(0));
        }
        finally { Console.SetIn(input); }
        var (c2, _, e2) = CliRunner.Capture("bench", "model", "--cases", "fwd,attack", "--serve");
        Assert.That(c2, Is.EqualTo(2));
        Assert.That(e2, Does.Contain("--serve: expected one case in --cases, got 'fwd,attack'"));
        (c2, _, e2) = CliRunner.Capture("bench", "conv2d", "--cases", "fwd,bwd", "--serve");
        Assert.That(c2, Is.EqualTo(2));
        Assert.That(e2, Does.Contain("--serve: expected one case in --cases, got 'fwd,bwd'"));
        (c2, _, e2) = CliRunner.Capture("bench", "train", "--regime", "all", "--serve");
        Assert.That(c2, Is.EqualTo(2));
        Assert.That(e2, Does.Contain("--serve: expected one --regime"));
    }

    [Test]
    public void BenchConv2dCasesPicksTheRowsAndRejectsAnUnknownOne()
    {
        var (code, output, err) = CliRunner.Capture("bench", "conv2d", "--n", "1", "--c", "4", "--k", "4", "--h", "9", "--w", "9",
            "--cases", "bwd_weight,fwd");
        Assert.That(code, Is.EqualTo(0), err);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1)
            .Select(l => l.Split(',')[0]).ToList();
        Assert.That(rows, Is.EqualTo(new[] { "conv2d_fwd", "conv2d_bwd_weight" }));
        (code, _, err) = CliRunner.Capture("bench", "conv2d", "--cases", "fwd,bogus");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--cases: unknown item 'bogus'"));
    }

    [Test]
    public void BenchGemmBatchCountsEveryGemmsFlopsAndRejectsZero()
    {
        double Gflop(string[] args)
        {
            var (code, output, err) = CliRunner.Capture(["bench", "gemm", "--m", "300", "--n", "200", "--k", "250", .. args]);
            Assert.That(code, Is.EqualTo(0), err);
            var cells = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[1].Split(',');
            double ms = double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture);
            double gflops = double.Parse(cells[6], System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(cells[2], Is.EqualTo(args.Length == 0 ? "300x200x250" : "3x300x200x250"));
            return gflops * ms * 1e6;   // flops of one run, from the row's own rate and time (3 decimals of each)
        }
        Assert.That(Gflop([]), Is.EqualTo(2.0 * 300 * 200 * 250).Within(2).Percent);
        Assert.That(Gflop(["--batch", "3"]), Is.EqualTo(3 * 2.0 * 300 * 200 * 250).Within(2).Percent);
        var (c, _, e) = CliRunner.Capture("bench", "gemm", "--batch", "0");
        Assert.That(c, Is.EqualTo(2));
        Assert.That(e, Does.Contain("--batch must be positive, got 0"));
    }

    [Test]
    public void GradcheckRunsAnOpAndReportsErrors()
    {
        var (code, output, _) = CliRunner.Capture("gradcheck", "--op", "matmul", "--device", "ilgpu-cpu");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("matmul/5x4x7-tA").And.Contain("cases passed on ilgpu-cpu"));
    }

    [Test]
    public void GradcheckUnknownOpIsAClearError()
    {
        var (code, _, err) = CliRunner.Capture("gradcheck", "--op", "nosuchop");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("no gradient check for op 'nosuchop'"));
    }

    [Test]
    public void UnknownDeviceIsAClearError()
    {
        var (code, _, err) = CliRunner.Capture("gradcheck", "--op", "add", "--device", "quantum");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("unknown device 'quantum'"));
    }
}
