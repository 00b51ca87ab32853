using static RobustSeg.Engine.Tests.InterpolateTests;

namespace RobustSeg.Engine.Tests;

/// <summary>Cross-entropy with ignore_index: PyTorch values, the all-ignored convention, label errors.</summary>
public class CrossEntropyTests
{
    public static IEnumerable<TestCaseData> TorchData() =>
        from c in new[] { "ce_2x5x6x7", "ce_long_2x21x13x13" }
        from d in TestDevices.Names
        select new TestCaseData(c, d).SetName($"cross_entropy matches torch {c} on {d}");

    [TestCaseSource(nameof(TorchData))]
    public void MatchesTorch(string name, string device)
    {
        var d = Load(name);
        var dev = TestDevices.Get(device);
        // Per-pixel values 1e-4; the mean is a long reduction: 1e-3 allowed (it is far closer in practice).
        using var s = Tensor.Scope();
        var x = Tensor.FromArray(dev, d["logits"].ToFloat(), d["logits"].Shape);
        x.RequiresGrad = true;
        var labels = Tensor.FromArray(dev, d["labels"].ToInt(), d["labels"].Shape);

        var loss = F.CrossEntropy(x, labels);
        Assert.That(loss.Numel, Is.EqualTo(1));
        Assert.That(loss.Item(), Is.EqualTo(d["loss"].Data[0]).Within(1e-3 * Math.Abs(d["loss"].Data[0])), "mean loss");
        Assert.That(Rel(Autograd.Grad(loss, [x])[0].ToArray(), d["dx"].Data), Is.LessThanOrEqualTo(1e-4), "mean gradient");

        var per = F.CrossEntropyPerPixel(x, labels);
        Assert.That(per.Shape, Is.EqualTo(d["labels"].Shape));
        Assert.That(Rel(per.ToArray(), d["per_pixel"].Data), Is.LessThanOrEqualTo(1e-4), "per-pixel loss");
        var w = Tensor.FromArray(dev, d["dy_per_pixel"].ToFloat(), d["dy_per_pixel"].Shape);
        Assert.That(Rel(Autograd.Grad(per, [x], w)[0].ToArray(), d["dx_per_pixel"].Data), Is.LessThanOrEqualTo(1e-4), "per-pixel gradient");
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void AllIgnoredGivesZeroLossAndZeroGradient(string device)
    {
        // PyTorch returns NaN here (0/0); our documented convention is 0 with a zero gradient.
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var x = Tensor.FromArray(dev, Enumerable.Range(0, 2 * 3 * 4).Select(i => (float)Math.Sin(i)).ToArray(), 2, 3, 2, 2);
        x.RequiresGrad = true;
        var labels = Tensor.FromArray(dev, Enumerable.Repeat(255, 8).ToArray(), 2, 2, 2);
        var loss = F.CrossEntropy(x, labels);
        Assert.That(loss.Item(), Is.EqualTo(0f));
        Assert.That(Autograd.Grad(loss, [x])[0].ToArray(), Is.All.EqualTo(0f));
        var per = F.CrossEntropyPerPixel(x, labels);
        Assert.That(per.ToArray(), Is.All.EqualTo(0f));
        Assert.That(Autograd.Grad(F.Sum(per), [x])[0].ToArray(), Is.All.EqualTo(0f));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void BadLabelIsNamed(string device)
    {
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var x = Tensor.Zeros(dev, 1, 5, 2, 2);
        var bad = Tensor.FromArray(dev, [0, 255, 7, 1], 1, 2, 2);
        Assert.That(() => F.CrossEntropy(x, bad), Throws.ArgumentException.With.Message.Contains("label 7").And.Message.Contains("[0, 5)"));
        var neg = Tensor.FromArray(dev, [0, -1, 2, 1], 1, 2, 2);
        Assert.That(() => F.CrossEntropyPerPixel(x, neg), Throws.ArgumentException.With.Message.Contains("label -1"));
        // With ignoreIndex -1 the same labels are fine.
        Assert.That(F.CrossEntropyPerPixel(x, neg, ignoreIndex: -1).ToArray()[1], Is.EqualTo(0f));
    }

    [Test, NonParallelizable]
    public void LabelsKnownOnTheHostAreCheckedWithoutADeviceRead()
    {
        using var s = Tensor.Scope();
        var x = Tensor.FromArray(Device.Cpu, Enumerable.Range(0, 20).Select(i => (float)Math.Sin(i)).ToArray(), 1, 5, 2, 2);
        x.RequiresGrad = true;
        var labels = Tensor.FromArray(Device.Cpu, [0, 255, 4, 1], 1, 2, 2);
        Assert.That(labels.KnownValues, Is.Not.Null);
        TransferCounter.Reset();
        var loss = F.CrossEntropy(x, labels);
        var g = Autograd.Grad(loss, [x])[0];
        Assert.That(TransferCounter.ToHost + TransferCounter.ToDevice, Is.EqualTo(0), "forward and backward of CE on uploaded labels");
        // Labels made on the device (values unknown on the host) are checked there: a bad one is still named.
        var wide = Tensor.FromArray(Device.Cpu, Enumerable.Range(0, 28).Select(i => i == 6 * 4 + 2 ? 9f : 0f).ToArray(), 1, 7, 2, 2);
        var argmax = F.Argmax(wide);
        Assert.That(argmax.KnownValues, Is.Null);
        Assert.That(() => F.CrossEntropy(x, argmax), Throws.ArgumentException.With.Message.Contains("label 6"));
        // Values carried by the shape ops: narrow keeps them, pad and cat add the fill and the parts.
        var narrowed = F.Narrow(labels.ViewAs(1, 1, 4), 2, 1, 2);
        Assert.That(narrowed.KnownValues!.Value.Contains(255) && narrowed.KnownValues.Value.Contains(4), Is.True);
        var padded = F.Pad(labels, 0, 0, 1, 7f);
        Assert.That(padded.KnownValues!.Value.Contains(7), Is.True);
        Assert.That(F.Cat([labels, argmax], 0).KnownValues, Is.Null);
        Assert.That(F.NotEqual(labels, labels).KnownValues, Is.EqualTo(IntValueSet.Binary));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void OneClassHasNoLoss(string device)
    {
        // log-softmax of a single class is 0 (within the host Exp's last-ulp error at 0).
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var x = Tensor.FromArray(dev, [3f, -2f, 0.5f, 7f], 1, 1, 2, 2);
        x.RequiresGrad = true;
        var loss = F.CrossEntropy(x, Tensor.FromArray(dev, [0, 0, 255, 0], 1, 2, 2));
        Assert.That(loss.Item(), Is.EqualTo(0f).Within(1e-6));
        Assert.That(Autograd.Grad(loss, [x])[0].ToArray(), Is.All.EqualTo(0f).Within(1e-6));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void NaNLogitsGiveNaNLoss(string device)
    {
        // A NaN must surface (not be clamped away by the fast exp); 16 pixels cover the SIMD strips.
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var xs = Enumerable.Range(0, 3 * 16).Select(i => (float)Math.Cos(i)).ToArray();
        xs[16 + 5] = float.NaN; // channel 1, pixel 5
        var x = Tensor.FromArray(dev, xs, 1, 3, 4, 4);
        var labels = Tensor.FromArray(dev, Enumerable.Range(0, 16).Select(i => i % 3).ToArray(), 1, 4, 4);
        Assert.That(float.IsNaN(F.CrossEntropy(x, labels).Item()), Is.True);
        var per = F.CrossEntropyPerPixel(x, labels).ToArray();
        Assert.That(float.IsNaN(per[5]) && float.IsFinite(per[4]), Is.True);
        Assert.That(float.IsNaN(F.Softmax(x).ToArray()[5]), Is.True);
    }

    [Test]
    public void RejectsMismatchedLabels()
    {
        using var s = Tensor.Scope();
        var x = Tensor.Zeros(Device.Cpu, 2, 3, 4, 4);
        Assert.That(() => F.CrossEntropy(x, Tensor.ZerosInt(Device.Cpu, 2, 4, 5)), Throws.ArgumentException.With.Message.Contains("do not match"));
        Assert.That(() => F.CrossEntropy(x, Tensor.Zeros(Device.Cpu, 2, 4, 4)), Throws.ArgumentException.With.Message.Contains("int32"));
    }

    /// <summary>21 classes keep each strip's exps for the gradient; 1030 are past what a strip keeps on the stack
    /// (CpuBackend.MaxKeptClasses), so the host computes them again.</summary>
    [TestCase(21, 17, 19)]
    [TestCase(1030, 3, 5)]
    public void HostPathMatchesKernels(int k, int h, int w)
    {
        int n = 2;
        var r = new Random(9);
        var xs = Enumerable.Range(0, n * k * h * w).Select(_ => (float)(r.NextDouble() * 10 - 5)).ToArray();
        var ls = Enumerable.Range(0, n * h * w).Select(_ => r.Next(6) == 0 ? 255 : r.Next(k)).ToArray();
        (float, float[], float[]) Run(string device)
        {
            var dev = TestDevices.Get(device);
            using var s = Tensor.Scope();
            var x = Tensor.FromArray(dev, xs, n, k, h, w);
            x.RequiresGrad = true;
            var labels = Tensor.FromArray(dev, ls, n, h, w);
            var loss = F.CrossEntropy(x, labels);
            var per = F.CrossEntropyPerPixel(x, labels);
            return (loss.Item(), Autograd.Grad(loss, [x])[0].ToArray(), per.ToArray());
        }
        var (lh, gh, ph) = Run("cpu");
        var (lk, gk, pk) = Run("ilgpu-cpu");
        Assert.That(lh, Is.EqualTo(lk).Within(1e-5 * Math.Abs(lk)));
        Assert.That(Rel(gh, gk), Is.LessThanOrEqualTo(1e-5));
        Assert.That(Rel(ph, pk), Is.LessThanOrEqualTo(1e-5));
    }
}
