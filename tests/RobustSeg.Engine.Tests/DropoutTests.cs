namespace RobustSeg.Engine.Tests;

public class DropoutTests
{
    static float[] Ramp(int n) => Enumerable.Range(0, n).Select(i => 1f + i % 13).ToArray();

    static (float[] Y, float[] Dx) Run(Device dev, int[] shape, float p, ulong seed, float[] dy)
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(dev, Ramp(dy.Length), shape); x.RequiresGrad = true;
        var y = F.Dropout2d(x, p, true, seed);
        var dx = Autograd.Grad(y, [x], Tensor.FromArray(dev, dy, shape))[0];
        return (y.ToArray(), dx.ToArray());
    }

    [Test]
    public void SameSeedSameMaskOnEveryDevice()
    {
        int[] shape = [4, 8, 3, 5];
        var dy = Enumerable.Range(0, 480).Select(i => 0.5f + i % 7).ToArray();
        var a = Run(Device.Get("cpu"), shape, 0.4f, 123, dy);
        var b = Run(Device.Get("ilgpu-cpu"), shape, 0.4f, 123, dy);
        var a2 = Run(Device.Get("cpu"), shape, 0.4f, 123, dy);
        Assert.That(a.Y, Is.EqualTo(b.Y));
        Assert.That(a.Dx, Is.EqualTo(b.Dx));
        Assert.That(a.Y, Is.EqualTo(a2.Y));
        var c = Run(Device.Get("cpu"), shape, 0.4f, 124, dy);
        Assert.That(c.Y, Is.Not.EqualTo(a.Y), "another seed drops other channels");
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void DropsWholeChannelsAndScalesTheRest(string device)
    {
        const int n = 10, c = 40, s = 6;
        const float p = 0.3f;
        var dy = Enumerable.Range(0, n * c * s).Select(i => 2f + i % 5).ToArray();
        var (y, dx) = Run(TestDevices.Get(device), [n, c, 2, 3], p, 7, dy);
        var x = Ramp(n * c * s);
        int dropped = 0;
        for (int k = 0; k < n * c; k++)
        {
            bool drop = y[k * s] == 0f;
            if (drop) dropped++;
            // Whole channel, and the backward uses the same mask and scale.
            for (int q = 0; q < s; q++)
            {
                int j = k * s + q;
                float scale = drop ? 0f : 1f / (1f - p);
                Assert.That(y[j], Is.EqualTo(x[j] * scale).Within(1e-5), $"y channel {k}");
                Assert.That(dx[j], Is.EqualTo(dy[j] * scale).Within(1e-5), $"dx channel {k}");
            }
        }
        // 400 channels at p = 0.3: 120 expected, std ~9.
        Assert.That(dropped, Is.InRange(85, 155));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void IdentityWhenNotTrainingOrPZero(string device)
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(TestDevices.Get(device), Ramp(24), 2, 3, 2, 2);
        Assert.That(F.Dropout2d(x, 0.5f, false, 1), Is.SameAs(x));
        Assert.That(F.Dropout2d(x, 0f, true, 1), Is.SameAs(x));
        Assert.That(F.Dropout2d(x, 1f, true, 1).ToArray(), Is.All.EqualTo(0f));
        Assert.Throws<ArgumentException>(() => F.Dropout2d(x, 1.5f, true, 1));
    }
}

/// <summary>Data-parallel dropout: a shard of a global batch draws the global batch's mask rows.</summary>
public class DropoutSamplePositionTests
{
    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void AShardDropsTheChannelsTheWholeBatchWouldDrop(string device)
    {
        var dev = TestDevices.Get(device);
        const int n = 6, c = 5, s = 4;
        using var scope = Tensor.Scope();
        var all = Enumerable.Range(0, n * c * s).Select(i => 1f + i % 11).ToArray();
        var whole = F.Dropout2d(Tensor.FromArray(dev, all, n, c, 2, 2), 0.5f, true, 99).ToArray();
        int[] pos = [1, 4, 5];
        var shard = pos.SelectMany(p => all.Skip(p * c * s).Take(c * s)).ToArray();
        var x = Tensor.FromArray(dev, shard, pos.Length, c, 2, 2); x.RequiresGrad = true;
        var y = F.Dropout2d(x, 0.5f, true, 99, pos);
        var expected = pos.SelectMany(p => whole.Skip(p * c * s).Take(c * s)).ToArray();
        Assert.That(y.ToArray(), Is.EqualTo(expected));
        Assert.That(expected.Count(v => v == 0), Is.InRange(1, expected.Length - 1), "some channels dropped, some kept");
        var dx = Autograd.Grad(y, [x], Tensor.Full(dev, 1f, pos.Length, c, 2, 2))[0].ToArray();
        for (int i = 0; i < dx.Length; i++) Assert.That(dx[i], Is.EqualTo(expected[i] == 0 ? 0f : 2f), $"grad {i}");
        // Positions 0..N-1 are the plain op.
        var plain = F.Dropout2d(Tensor.FromArray(dev, all, n, c, 2, 2), 0.5f, true, 99, Enumerable.Range(0, n).ToArray()).ToArray();
        Assert.That(plain, Is.EqualTo(whole));
    }
}
