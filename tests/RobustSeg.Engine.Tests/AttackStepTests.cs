using RobustSeg.Engine;

namespace RobustSeg.Engine.Tests;

public class AttackStepTests
{
    static double RefStep(double x, double g, double x0, double alpha, double eps, bool sign)
    {
        double v = x + alpha * (sign ? Math.Sign(g) : g);
        v = Math.Clamp(v, x0 - eps, x0 + eps);
        return Math.Clamp(v, 0, 1);
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void MatchesTheReferenceAndStaysInTheBoxes(string device)
    {
        var d = TestDevices.Get(device);
        var rng = new Random(3);
        int n = 1037; // not a multiple of the SIMD width
        var x0 = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        var x = x0.Select(v => v + (float)(rng.NextDouble() * 0.06 - 0.03)).ToArray();
        var g = Enumerable.Range(0, n).Select(i => i % 17 == 0 ? 0f : (float)(rng.NextDouble() * 2 - 1)).ToArray();
        foreach (var useSign in new[] { true, false })
        {
            using var s = Tensor.Scope();
            var y = F.AttackStep(Tensor.FromArray(d, x, n), Tensor.FromArray(d, g, n), Tensor.FromArray(d, x0, n), 0.01f, 0.03f, useSign).ToArray();
            for (int i = 0; i < n; i++)
            {
                Assert.That(y[i], Is.EqualTo(RefStep(x[i], g[i], x0[i], 0.01, 0.03, useSign)).Within(1e-6), $"element {i}");
                Assert.That(y[i], Is.InRange(0f, 1f));
                Assert.That(Math.Abs(y[i] - x0[i]), Is.LessThanOrEqualTo(0.03f + 1e-6f));
            }
        }
    }
}
