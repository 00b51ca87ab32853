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
