namespace RobustSeg.Engine.Tests;

/// <summary>The engine's per-op profile (`bench train --profile`): profiled ops give the same numbers, every op
/// lands in the table under its name (convolutions with their kernel shape), and the device's backend is
/// restored afterwards.</summary>
[NonParallelizable]
public class OpProfileTests
{
    [Test]
    public void ProfiledOpsGiveTheSameNumbersAndAreCounted()
    {
        var dev = Device.Cpu;
        using var s = Tensor.Scope();
        var rng = new Random(4);
        var x = Tensor.FromArray(dev, Enumerable.Range(0, 2 * 3 * 9 * 9).Select(_ => (float)rng.NextDouble()).ToArray(), 2, 3, 9, 9);
        var w = Tensor.FromArray(dev, Enumerable.Range(0, 4 * 3 * 3 * 3).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), 4, 3, 3, 3);
        x.RequiresGrad = true;
        float[] Run(out float[] grad)
        {
            var y = F.Relu(F.Conv2d(x, w, null, stride: 1, padding: 2, dilation: 2));
            grad = Autograd.Grad(F.Sum(y), [x])[0].ToArray();
            return y.ToArray();
        }
        var plain = Run(out var plainGrad);
        var before = dev.Backend;
        var profile = new OpProfile();
        float[] profiled, profiledGrad;
        using (dev.Profile(profile))
        {
            Assert.That(dev.Backend, Is.InstanceOf<ProfilingBackend>());
            Assert.That(() => dev.Profile(new OpProfile()), Throws.InvalidOperationException);
            profiled = Run(out profiledGrad);
        }
        Assert.That(dev.Backend, Is.SameAs(before));
        Assert.That(profiled, Is.EqualTo(plain));
        Assert.That(profiledGrad, Is.EqualTo(plainGrad));
        Assert.That(profile.Ops["Conv2dForward 3x3 dilated"].Calls, Is.EqualTo(1));
        Assert.That(profile.Ops["Conv2dBackwardData 3x3 dilated"].Calls, Is.EqualTo(1));
        Assert.That(profile.Ops.ContainsKey("Conv2dBackwardWeight 3x3 dilated"), Is.False, "w needs no gradient");
        Assert.That(profile.Ops["UnaryGrad"].Calls, Is.EqualTo(1));
        var table = profile.Table(profile.OpSeconds * 2, 1);
        Assert.That(table, Does.Contain("Conv2dForward 3x3 dilated").And.Contain("outside ops").And.Contain("50.0%"));

        // --profile-shapes: one row per convolution geometry.
        var shapes = new OpProfile { ConvShapes = true };
        using (dev.Profile(shapes)) Run(out _);
        Assert.That(shapes.Ops["Conv2dForward 2x3x9x9->4 3x3 s1 p2 d2"].Calls, Is.EqualTo(1));
        Assert.That(shapes.Ops["Conv2dBackwardData 2x3x9x9->4 3x3 s1 p2 d2"].Calls, Is.EqualTo(1));
    }
}
