using static RobustSeg.Engine.Tests.InterpolateTests;

namespace RobustSeg.Engine.Tests;

public class SoftmaxTests
{
    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void MatchesTorch(string device)
    {
        var d = Load("softmax_2x5x3x4");
        var dev = TestDevices.Get(device);
        foreach (var log in new[] { false, true })
        {
            using var s = Tensor.Scope();
            var x = Tensor.FromArray(dev, d["x"].ToFloat(), d["x"].Shape);
            x.RequiresGrad = true;
            var y = log ? F.LogSoftmax(x) : F.Softmax(x);
            string k = log ? "log" : "softmax";
            Assert.That(Rel(y.ToArray(), d["y_" + k].Data), Is.LessThanOrEqualTo(1e-5), $"{k} forward");
            var dx = Autograd.Grad(y, [x], Tensor.FromArray(dev, d["dy"].ToFloat(), d["dy"].Shape))[0];
            Assert.That(Rel(dx.ToArray(), d["dx_" + k].Data), Is.LessThanOrEqualTo(1e-5), $"{k} backward");
        }
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void IsStableForLargeLogits(string device)
    {
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var x = Tensor.FromArray(dev, [1000f, 1001f, 999f, -1000f, -1001f, -1e4f], 2, 3);
        var p = F.Softmax(x).ToArray();
        var lp = F.LogSoftmax(x).ToArray();
        Assert.That(p.Concat(lp).All(float.IsFinite), Is.True);
        Assert.That(p[0] + p[1] + p[2], Is.EqualTo(1f).Within(1e-6));
        Assert.That(lp[1], Is.EqualTo(-Math.Log(1 + Math.Exp(-1) + Math.Exp(-2))).Within(1e-5));
        Assert.That(p[5], Is.EqualTo(0f));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void HostPathMatchesKernels(bool log)
    {
        // 300 pixels per image: more than one host block of 256.
        int[] shape = [2, 21, 15, 20];
        var r = new Random(5);
        var xs = Enumerable.Range(0, 2 * 21 * 300).Select(_ => (float)(r.NextDouble() * 8 - 4)).ToArray();
        var dys = Enumerable.Range(0, xs.Length).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        (float[], float[]) Run(string device)
        {
            var dev = TestDevices.Get(device);
            using var s = Tensor.Scope();
            var x = Tensor.FromArray(dev, xs, shape);
            x.RequiresGrad = true;
            var y = log ? F.LogSoftmax(x) : F.Softmax(x);
            return (y.ToArray(), Autograd.Grad(y, [x], Tensor.FromArray(dev, dys, shape))[0].ToArray());
        }
        var (yh, dh) = Run("cpu");
        var (yk, dk) = Run("ilgpu-cpu");
        Assert.That(Rel(yh, yk), Is.LessThanOrEqualTo(1e-6));
        Assert.That(Rel(dh, dk), Is.LessThanOrEqualTo(1e-5));
    }
}
