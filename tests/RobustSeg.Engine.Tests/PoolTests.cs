namespace RobustSeg.Engine.Tests;

public class PoolTests
{
    static (float[] Y, float[] Dx) MaxPool(Device dev, float[] x, int[] shape, float[] dy, int k, int s, int p)
    {
        using var scope = Tensor.Scope();
        var xt = Tensor.FromArray(dev, x, shape); xt.RequiresGrad = true;
        var y = F.MaxPool2d(xt, k, s, p);
        var dx = Autograd.Grad(y, [xt], Tensor.FromArray(dev, dy, y.Shape))[0];
        return (y.ToArray(), dx.ToArray());
    }

    static (float[] Y, float[] Dx) AvgPool(Device dev, float[] x, int[] shape, float[] dy, int oh, int ow)
    {
        using var scope = Tensor.Scope();
        var xt = Tensor.FromArray(dev, x, shape); xt.RequiresGrad = true;
        var y = F.AdaptiveAvgPool2d(xt, oh, ow);
        var dx = Autograd.Grad(y, [xt], Tensor.FromArray(dev, dy, y.Shape))[0];
        return (y.ToArray(), dx.ToArray());
    }

    public static IEnumerable<TestCaseData> MaxCases() =>
        from c in BnPoolTorchData.Cases("maxpool.npz")
        from d in TestDevices.Names
        select new TestCaseData(c, d).SetName($"maxpool torch {c} on {d}");

    [TestCaseSource(nameof(MaxCases))]
    public void MaxPoolAgreesWithTorch(string name, string device)
    {
        var r = BnPoolTorchData.Load("maxpool.npz");
        // name ends in _k{k}s{s}p{p} or starts with k{k}s{s}p{p}_
        var m = System.Text.RegularExpressions.Regex.Match(name, @"k(\d+)s(\d+)p(\d+)");
        int k = int.Parse(m.Groups[1].Value), s = int.Parse(m.Groups[2].Value), p = int.Parse(m.Groups[3].Value);
        var x = r[name + ".x"];
        var (y, dx) = MaxPool(TestDevices.Get(device), x.ToFloat(), x.Shape, r[name + ".dy"].ToFloat(), k, s, p);
        // Max pooling selects values: forward exact; dx sums a few dy, exact up to the order of a sum.
        Assert.That(y, Is.EqualTo(r[name + ".y"].ToFloat()), "y");
        BnPoolTorchData.Close(dx, r[name + ".dx"].ToFloat(), 1e-6, "dx");
    }

    public static IEnumerable<TestCaseData> AvgCases() =>
        from c in BnPoolTorchData.Cases("adaptive_avg_pool.npz").Where(c => !c.StartsWith("in_"))
        from d in TestDevices.Names
        select new TestCaseData(c, d).SetName($"adaptive_avg_pool torch {c} on {d}");

    [TestCaseSource(nameof(AvgCases))]
    public void AdaptiveAvgPoolAgreesWithTorch(string name, string device)
    {
        var r = BnPoolTorchData.Load("adaptive_avg_pool.npz");
        float[] x, dy, wantDx; int[] shape; int oh, ow;
        var m = System.Text.RegularExpressions.Regex.Match(name, @"^s(\d+)_b(\d+)$");
        if (m.Success)
        {
            // PPM bins on 29/57/60: inputs from the script's pattern(), dx stored every 7th value.
            int size = int.Parse(m.Groups[1].Value), b = int.Parse(m.Groups[2].Value);
            shape = [1, 2, size, size];
            x = BnPoolTorchData.Pattern(2 * size * size, 7919, size, 0.0);
            dy = BnPoolTorchData.Pattern(2 * b * b, 104729, b, 0.0);
            oh = ow = b;
            wantDx = r[name + ".dx"].ToFloat();
        }
        else
        {
            shape = r[name + ".x"].Shape;
            x = r[name + ".x"].ToFloat();
            dy = r[name + ".dy"].ToFloat();
            var ys = r[name + ".y"].Shape;
            oh = ys[2]; ow = ys[3];
            wantDx = r[name + ".dx"].ToFloat();
        }
        var (y, dx) = AvgPool(TestDevices.Get(device), x, shape, dy, oh, ow);
        BnPoolTorchData.Close(y, r[name + ".y"].ToFloat(), 1e-5, "y");
        BnPoolTorchData.Close(m.Success ? BnPoolTorchData.Every(dx, 7) : dx, wantDx, 1e-5, "dx");
    }

    [TestCase(new[] { 2, 4, 17, 17 }, 3, 2, 1)]
    [TestCase(new[] { 1, 3, 10, 13 }, 2, 2, 0)]
    [TestCase(new[] { 2, 2, 7, 6 }, 4, 3, 2)]
    [TestCase(new[] { 1, 1, 1, 1 }, 1, 1, 0)]
    [TestCase(new[] { 1, 2, 2, 2 }, 3, 2, 1)]
    // Rows wide enough for the host's 8-output vector windows (stride 2 and 1, no padding), with NaNs among them.
    [TestCase(new[] { 2, 3, 9, 41 }, 3, 2, 1)]
    [TestCase(new[] { 1, 2, 6, 40 }, 3, 1, 1)]
    [TestCase(new[] { 1, 2, 5, 50 }, 2, 2, 0)]
    [TestCase(new[] { 1, 3, 9, 41 }, 3, 2, 1, true)]
    public void MaxPoolHostAgreesWithKernels(int[] shape, int k, int s, int p, bool nans = false)
    {
        var rng = new Random(9);
        int n = shape.Aggregate(1, (a, b) => a * b);
        // Coarse values: many ties, so the first-max rule is exercised on both paths.
        var x = Enumerable.Range(0, n).Select(_ => nans && rng.Next(13) == 0 ? float.NaN : (float)rng.Next(4)).ToArray();
        int oh = (shape[2] + 2 * p - k) / s + 1, ow = (shape[3] + 2 * p - k) / s + 1;
        var dy = Enumerable.Range(0, shape[0] * shape[1] * oh * ow).Select(_ => (float)rng.NextDouble()).ToArray();
        var a = MaxPool(Device.Get("cpu"), x, shape, dy, k, s, p);
        var b = MaxPool(Device.Get("ilgpu-cpu"), x, shape, dy, k, s, p);
        Assert.That(a.Y, Is.EqualTo(b.Y));
        Assert.That(a.Dx, Is.EqualTo(b.Dx));
    }

    [TestCase(new[] { 2, 3, 29, 29 }, 6, 6)]
    [TestCase(new[] { 1, 2, 57, 60 }, 3, 2)]
    [TestCase(new[] { 1, 1, 4, 5 }, 9, 7)]
    [TestCase(new[] { 2, 2, 1, 1 }, 2, 3)]
    public void AdaptiveAvgPoolHostAgreesWithKernels(int[] shape, int oh, int ow)
    {
        var rng = new Random(4);
        int n = shape.Aggregate(1, (a, b) => a * b);
        var x = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        var dy = Enumerable.Range(0, shape[0] * shape[1] * oh * ow).Select(_ => (float)rng.NextDouble()).ToArray();
        var a = AvgPool(Device.Get("cpu"), x, shape, dy, oh, ow);
        var b = AvgPool(Device.Get("ilgpu-cpu"), x, shape, dy, oh, ow);
        Assert.That(a.Y, Is.EqualTo(b.Y));
        Assert.That(a.Dx, Is.EqualTo(b.Dx));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void MaxPoolFirstMaxTakesTheGradient(string device)
    {
        // One 2x2 window of equal values: PyTorch routes the gradient to the first (top-left) one.
        var (y, dx) = MaxPool(TestDevices.Get(device), [5f, 5f, 5f, 5f], [1, 1, 2, 2], [3f], 2, 2, 0);
        Assert.That(y, Is.EqualTo(new[] { 5f }));
        Assert.That(dx, Is.EqualTo(new[] { 3f, 0f, 0f, 0f }));
        // Padding never wins, even over -inf-free negative inputs.
        (y, _) = MaxPool(TestDevices.Get(device), [-7f, -8f, -9f, -6f], [1, 1, 2, 2], [1f, 1f, 1f, 1f], 3, 1, 1);
        Assert.That(y, Is.EqualTo(new[] { -6f, -6f, -6f, -6f }));
    }

    [Test]
    public void BadArgumentsAreClearErrors()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros(Device.Cpu, 1, 1, 5, 5);
        Assert.That(Assert.Throws<ArgumentException>(() => F.MaxPool2d(x, 3, 2, 2))!.Message, Does.Contain("padding"));
        Assert.That(Assert.Throws<ArgumentException>(() => F.MaxPool2d(x, 7, 1, 0))!.Message, Does.Contain("smaller than the kernel"));
        Assert.That(Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(Device.Cpu, 5, 5), 2, 2, 0))!.Message, Does.Contain("4-D"));
        Assert.That(Assert.Throws<ArgumentException>(() => F.AdaptiveAvgPool2d(x, 0, 3))!.Message, Does.Contain("output size"));
    }
}
