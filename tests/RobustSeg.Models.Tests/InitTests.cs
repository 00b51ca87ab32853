namespace RobustSeg.Models.Tests;

/// <summary>Initialisation as the original (issue 12 item 2): ResNet convs Kaiming normal fan_out, PPM/ASPP
/// and every head at PyTorch's default Conv2d init, BN 1/0.</summary>
public class InitTests
{
    static float[] Values(Tensor t) => t.ToArray();

    static (double Mean, double Std, double MaxAbs) Stats(float[] v)
    {
        double m = v.Average(x => (double)x);
        double sd = Math.Sqrt(v.Average(x => (x - m) * (x - m)));
        return (m, sd, v.Max(x => Math.Abs((double)x)));
    }

    static long FanIn(int[] s) => s[1] * (long)s[2] * s[3];

    [TestCase("psp", false)]
    [TestCase("psp", true)]
    [TestCase("aspp", true)]
    public void HeadsKeepTorchDefaultAndBackboneIsKaimingFanOut(string arch, bool ddcat)
    {
        using var m = ModelFactory.Create(new ModelConfig(arch, 50, 21, Ddcat: ddcat, Width: 0.5, Seed: 3), Device.Cpu);
        var sd = m.StateDict();
        int heads = 0, backbone = 0;
        foreach (var (k, t) in sd)
        {
            if (t.Rank != 4 || !k.EndsWith(".weight")) continue;
            var s = t.Shape;
            var st = Stats(Values(t));
            if (k.StartsWith("layer"))
            {
                double std = Math.Sqrt(2.0 / (s[0] * (long)s[2] * s[3]));
                Assert.That(st.Mean, Is.EqualTo(0).Within(5 * std / Math.Sqrt(t.Numel) + 1e-9), k);
                Assert.That(st.Std, Is.EqualTo(std).Within(0.1 * std), k);
                backbone++;
                continue;
            }
            double b = 1.0 / Math.Sqrt(FanIn(s));
            double expStd = b / Math.Sqrt(3);
            Assert.That(st.MaxAbs, Is.LessThanOrEqualTo(b * (1 + 1e-6)), k);
            Assert.That(st.Mean, Is.EqualTo(0).Within(5 * expStd / Math.Sqrt(t.Numel)), k);
            Assert.That(st.Std, Is.EqualTo(expStd).Within(0.1 * expStd), k);
            var prefix = k[..^"weight".Length];
            if (sd.TryGetValue(prefix + "bias", out var bias))
            {
                var bv = Values(bias);
                Assert.That(bv.Max(x => Math.Abs(x)), Is.LessThanOrEqualTo(b * (1 + 1e-6)), prefix + "bias");
                // 21 (or 2) values drawn from U(-b, b): not all zero, spread of the order of b.
                Assert.That(bv.Max(x => Math.Abs(x)), Is.GreaterThan(0.2 * b), prefix + "bias");
            }
            heads++;
        }
        Assert.That(backbone, Is.GreaterThan(50));
        Assert.That(heads, Is.EqualTo(arch == "psp" ? 4 + 2 * (ddcat ? 4 : 2) : 5 + 2 * (ddcat ? 4 : 2)));
        // BN weight 1, bias 0 everywhere (backbone and heads).
        foreach (var k in sd.Keys)
        {
            if (!k.EndsWith("running_mean")) continue;
            var p = k[..^"running_mean".Length];
            Assert.That(Values(sd[p + "weight"]).All(x => x == 1f), p + "weight");
            Assert.That(Values(sd[p + "bias"]).All(x => x == 0f), p + "bias");
        }
    }

    [Test]
    public void InitIsSeededAndDeterministic()
    {
        using var a = ModelFactory.Create(new ModelConfig("psp", 18, 5, Seed: 7), Device.Cpu);
        using var b = ModelFactory.Create(new ModelConfig("psp", 18, 5, Seed: 7), Device.Cpu);
        using var c = ModelFactory.Create(new ModelConfig("psp", 18, 5, Seed: 8), Device.Cpu);
        Assert.That(Values(a.StateDict()["cls.4.weight"]), Is.EqualTo(Values(b.StateDict()["cls.4.weight"])));
        Assert.That(Values(a.StateDict()["cls.4.bias"]), Is.EqualTo(Values(b.StateDict()["cls.4.bias"])));
        Assert.That(Values(a.StateDict()["cls.4.weight"]), Is.Not.EqualTo(Values(c.StateDict()["cls.4.weight"])));
    }
}
