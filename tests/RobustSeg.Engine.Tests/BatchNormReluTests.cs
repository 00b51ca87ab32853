namespace RobustSeg.Engine.Tests;

/// <summary>F.BatchNormRelu2d (one buffer for batch norm, the residual add and ReLU) against the separate ops.</summary>
public class BatchNormReluTests
{
    static float[] Rand(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray();
    }

    /// <summary>y, dx, dw, db (and d residual) of sum(op(x) * r), with fresh running statistics, and the running
    /// statistics after the forward.</summary>
    static float[][] Run(Device dev, bool fused, bool training, bool residual)
    {
        int n = 2, c = 3, h = 5, w = 6;
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(dev, Rand(n * c * h * w, 1, 2f), n, c, h, w); x.RequiresGrad = true;
        var wt = Tensor.FromArray(dev, Rand(c, 2), c); wt.RequiresGrad = true;
        var b = Tensor.FromArray(dev, Rand(c, 3), c); b.RequiresGrad = true;
        var res = Tensor.FromArray(dev, Rand(n * c * h * w, 4), n, c, h, w); res.RequiresGrad = true;
        var rm = Tensor.FromArray(dev, Rand(c, 5, 0.1f), c);
        var rv = Tensor.FromArray(dev, Rand(c, 6, 0.1f).Select(v => 1 + v).ToArray(), c);
        var r = Tensor.FromArray(dev, Rand(n * c * h * w, 7), n, c, h, w);
        Tensor y;
        if (fused) y = F.BatchNormRelu2d(x, wt, b, rm, rv, training, residual: residual ? res : null);
        else
        {
            var bn = F.BatchNorm2d(x, wt, b, rm, rv, training);
            y = F.Relu(residual ? F.Add(bn, res) : bn);
        }
        Tensor[] inputs = residual ? [x, wt, b, res] : [x, wt, b];
        var grads = Autograd.Grad(F.Sum(F.Mul(y, r)), inputs);
        return [y.ToArray(), .. grads.Select(g => g.ToArray()), rm.ToArray(), rv.ToArray()];
    }

    static IEnumerable<TestCaseData> Cases() =>
        from d in TestDevices.Names
        from training in new[] { true, false }
        from residual in new[] { true, false }
        select new TestCaseData(d, training, residual).SetName($"{d} {(training ? "train" : "eval")}{(residual ? " residual" : "")}");

    [TestCaseSource(nameof(Cases))]
    public void FusedGivesTheSeparateOpsBitForBit(string device, bool training, bool residual)
    {
        var dev = TestDevices.Get(device);
        var fused = Run(dev, true, training, residual);
        var separate = Run(dev, false, training, residual);
        Assert.That(fused.Length, Is.EqualTo(separate.Length));
        for (int i = 0; i < fused.Length; i++) Assert.That(fused[i], Is.EqualTo(separate[i]), $"output {i}");
        Assert.That(fused[0].Count(v => v == 0f), Is.GreaterThan(0), "some outputs clamped");
        Assert.That(fused[0].Count(v => v > 0f), Is.GreaterThan(0), "some outputs pass");
    }

    /// <summary>Where x's gradient is wanted, batch norm's backward masks the gradient itself: no separate ReLU
    /// gradient pass over the activation (the residual's gradient is written by the same pass).</summary>
    [TestCaseSource(nameof(Cases))]
    public void BackwardRunsNoSeparateReluGradient(string device, bool training, bool residual)
    {
        var dev = TestDevices.Get(device);
        long Relus() => dev.Kernels.LaunchCounts.GetValueOrDefault("UnaryGrad");
        long before = Relus();
        Run(dev, true, training, residual);
        Assert.That(Relus(), Is.EqualTo(before), "fused");
        Run(dev, false, training, residual);
        Assert.That(Relus(), Is.GreaterThan(before), "the separate ops' ReLU gradient is counted");
    }

    [Test]
    public void ResidualOfAnotherShapeIsRefused()
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros(dev, 2, 3, 4, 4);
        var ex = Assert.Throws<ArgumentException>(() => F.BatchNormRelu2d(x, null, null, Tensor.Zeros(dev, 3), Tensor.Full(dev, 1f, 3),
            true, residual: Tensor.Zeros(dev, 2, 3, 4, 5)))!;
        Assert.That(ex.Message, Does.Contain("batch_norm_relu2d"));
    }
}
