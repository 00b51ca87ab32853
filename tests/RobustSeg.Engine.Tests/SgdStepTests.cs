namespace RobustSeg.Engine.Tests;

/// <summary>The backends' one-pass SGD update (<see cref="Backend.SgdStep"/>): the bits of the separate Axpby ops it
/// replaced (d = g + wd p, buf = m buf + d, p = p - lr buf), with and without weight decay and momentum, first step and
/// later, on the host's vector lanes and tail and in the kernel.</summary>
public class SgdStepTests
{
    static IEnumerable<TestCaseData> Cases() =>
        from d in TestDevices.Names
        from wd in new[] { 0f, 1e-4f }
        from m in new[] { 0f, 0.9f }
        from first in new[] { true, false }
        where m != 0f || first
        select new TestCaseData(d, wd, m, first).SetName($"{d} wd {wd} momentum {m}{(first ? " first" : "")}");

    [TestCaseSource(nameof(Cases))]
    public void GivesTheSeparateOpsBits(string device, float wd, float m, bool first)
    {
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var rng = new Random(7);
        int n = (1 << 16) + 13;   // past the host's parallel threshold, with a tail
        float[] R(double scale) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
        float[] p0 = R(1), g = R(0.1), b0 = R(0.05);
        const float lr = 0.01f;
        var p = Tensor.FromArray(dev, p0, n);
        var buf = m != 0f ? Tensor.FromArray(dev, b0, n) : null;
        F.SgdStepInto(p, Tensor.FromArray(dev, g, n), buf, lr, m, wd, first);

        // The separate ops, as SGD.Step ran them before: d = 1 g + wd p, buf = m buf + 1 d (a copy of d first), p = 1 p - lr step.
        var wantP = new float[n]; var wantB = new float[n];
        for (int i = 0; i < n; i++)
        {
            float d = wd != 0f ? 1f * g[i] + wd * p0[i] : g[i];
            float step = d;
            if (m != 0f) step = wantB[i] = first ? d : m * b0[i] + 1f * d;
            wantP[i] = 1f * p0[i] + -lr * step;
        }
        var gotP = p.ToArray();
        for (int i = 0; i < n; i++)
            Assert.That(BitConverter.SingleToInt32Bits(gotP[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(wantP[i])), $"p[{i}]");
        if (buf is null) return;
        var gotB = buf.ToArray();
        for (int i = 0; i < n; i++)
            Assert.That(BitConverter.SingleToInt32Bits(gotB[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(wantB[i])), $"buf[{i}]");
    }

    [Test]
    public void ShapesMustMatch()
    {
        using var s = Tensor.Scope();
        var ex = Assert.Throws<ArgumentException>(() => F.SgdStepInto(Tensor.Zeros(Device.Cpu, 3), Tensor.Zeros(Device.Cpu, 4), null, 0.1f, 0f, 0f, true))!;
        Assert.That(ex.Message, Does.Contain("sgd_step"));
    }
}
