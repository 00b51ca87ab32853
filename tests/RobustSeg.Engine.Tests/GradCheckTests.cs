using RobustSeg.Engine.GradChecks;

namespace RobustSeg.Engine.Tests;

/// <summary>Every registered gradient-check case on both CPU devices (the same checks `robustseg gradcheck` runs).</summary>
public class GradCheckTests
{
    public static IEnumerable<TestCaseData> Cases() =>
        from c in GradCheckRegistry.All
        from d in TestDevices.Names
        select new TestCaseData(c.ToString(), d).SetName($"gradcheck {c} on {d}");

    [TestCaseSource(nameof(Cases))]
    public void Passes(string name, string device)
    {
        var c = GradCheckRegistry.All.Single(x => x.ToString() == name);
        var r = GradChecker.Run(c, TestDevices.Get(device));
        Assert.That(r.Passed, Is.True, $"{name} on {device}: {r.Failure} (fwd {r.ForwardRel:E2}, ref {r.RefRel:E2}, fd {r.FdRel:E2})");
    }

    [Test]
    public void CheckerCatchesAWrongGradient()
    {
        // An op whose backward is off by a factor 2 must fail: guards against a checker that always passes.
        var bad = new GradCheckCase
        {
            Op = "bad", Name = "x2", Shapes = [[4, 3]],
            Forward = t =>
            {
                var x = t[0];
                var y = Tensor.Empty(x.Device, x.Shape);
                x.Device.Backend.Copy(x, y);
                return Autograd.Record(y, "bad", [x], (g, _) => [F.MulScalar(g, 2f)]);
            },
            Reference = h => h[0],
        };
        var r = GradChecker.Run(bad, Device.Cpu);
        Assert.That(r.Passed, Is.False);
        Assert.That(r.RefRel, Is.GreaterThan(0.5));
    }
}
