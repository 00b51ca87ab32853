using RobustSeg.Engine.IO;
using RobustSeg.Engine.Reference;

namespace RobustSeg.Engine.Tests;

/// <summary>narrow / pad / cat along every axis, the sliding window's crop2d / pad2d and the channel broadcast:
/// forward and backward on both devices, int32 tensors (labels), the double reference and PyTorch's values.</summary>
public class ShapeOpsTests
{
    static float[] Iota(int n) => Enumerable.Range(0, n).Select(i => (float)i).ToArray();
    static double[] D(float[] a) => a.Select(v => (double)v).ToArray();

    [Test]
    public void NarrowPadCatMatchTheReferenceOnEveryAxis([ValueSource(typeof(TestDevices), nameof(TestDevices.Names))] string device, [Values(0, 1, 2, 3)] int axis)
    {
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        int[] shape = [2, 3, 4, 5];
        var data = Iota(120);
        var x = Tensor.FromArray(dev, data, shape);
        Assert.That(F.Narrow(x, axis, 1, shape[axis] - 2).ToArray().Select(v => (double)v), Is.EqualTo(ShapeReference.Narrow(D(data), shape, axis, 1, shape[axis] - 2)));
        Assert.That(F.Pad(x, axis, 2, 1, -3f).ToArray().Select(v => (double)v), Is.EqualTo(ShapeReference.Pad(D(data), shape, axis, 2, 1, -3)));
        var parts = new[] { F.Narrow(x, axis, 0, 1), F.Narrow(x, axis, 1, shape[axis] - 1) };
        Assert.That(F.Cat(parts, axis).ToArray(), Is.EqualTo(data), "cat of the two narrows gives x back");
    }

    [Test]
    public void Int32TensorsAreSlicedPaddedAndJoinedOnTheDevice([ValueSource(typeof(TestDevices), nameof(TestDevices.Names))] string device)
    {
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var labels = Enumerable.Range(0, 4 * 3 * 2).Select(i => i % 7 == 0 ? 255 : i).ToArray();
        var y = Tensor.FromArray(dev, labels, 4, 3, 2);
        var tail = F.Narrow(y, 0, 2, 2);
        Assert.That(tail.DType, Is.EqualTo(DType.Int32));
        Assert.That(tail.ToIntArray(), Is.EqualTo(labels.Skip(12).ToArray()));
        Assert.That(F.Cat([F.Narrow(y, 0, 0, 2), tail], 0).ToIntArray(), Is.EqualTo(labels));
        var padded = F.Pad(y, 2, 1, 0, 255).ToIntArray();
        Assert.That(padded.Where((_, i) => i % 3 == 0), Is.All.EqualTo(255), "an int pad value is stored as that integer");
        Assert.That(F.ExpandChannels(Tensor.FromArray(dev, new[] { 1, 2 }, 2, 1), 3).ToIntArray(), Is.EqualTo(new[] { 1, 1, 1, 2, 2, 2 }));
        Assert.Throws<ArgumentException>(() => F.Cat([y, Tensor.FromArray(dev, new float[24], 4, 3, 2)], 0), "dtypes must agree");
    }

    [Test]
    public void Crop2dAndPad2dForwardAndBackward([ValueSource(typeof(TestDevices), nameof(TestDevices.Names))] string device)
    {
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        int n = 2, c = 2, h = 4, w = 5;
        var data = Iota(n * c * h * w);
        var x = Tensor.FromArray(dev, data, n, c, h, w);
        x.RequiresGrad = true;
        var crop = F.Crop2d(x, 1, 2, 2, 3);
        var cv = crop.ToArray();
        for (int b = 0; b < n * c; b++)
            for (int y = 0; y < 2; y++)
                for (int q = 0; q < 3; q++)
                    Assert.That(cv[(b * 2 + y) * 3 + q], Is.EqualTo(data[(b * h + 1 + y) * w + 2 + q]));
        // d sum(crop * k) / dx = k inside the window, 0 outside.
        var k = F.RandUniform(dev, 3, -1, 1, crop.Shape);
        var g = Autograd.Grad(F.Sum(F.Mul(crop, k)), [x])[0].ToArray();
        var kv = k.ToArray();
        for (int b = 0; b < n * c; b++)
            for (int y = 0; y < h; y++)
                for (int q = 0; q < w; q++)
                {
                    bool inside = y >= 1 && y < 3 && q >= 2 && q < 5;
                    Assert.That(g[(b * h + y) * w + q], Is.EqualTo(inside ? kv[(b * 2 + y - 1) * 3 + q - 2] : 0f).Within(1e-6));
                }
        var emb = F.Pad2d(x, 1, 0, 6, 7, [0.5f, -1f]);
        var ev = emb.ToArray();
        Assert.That(ev[0], Is.EqualTo(0.5f));                       // channel 0 fill
        Assert.That(ev[6 * 7], Is.EqualTo(-1f));                    // channel 1 fill
        Assert.That(ev[1 * 7 + 0], Is.EqualTo(data[0]));            // x[0,0,0,0] at (1,0)
        Assert.That(ev[(6 + 4) * 7 + 4], Is.EqualTo(data[(1 * h + 3) * w + 4])); // x[0,1,3,4] at (4,4)
        Assert.That(ev.Select(v => (double)v), Is.EqualTo(ShapeReference.Pad2d(D(data), [n, c, h, w], 1, 0, 6, 7, [0.5, -1])));
        Assert.That(Autograd.Grad(F.Sum(emb), [x])[0].ToArray(), Is.All.EqualTo(1f));
    }

    [Test]
    public void ExpandChannelsBackwardSumsOverChannels([ValueSource(typeof(TestDevices), nameof(TestDevices.Names))] string device)
    {
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var x = Tensor.FromArray(dev, Iota(2 * 6), 2, 1, 2, 3);
        x.RequiresGrad = true;
        var y = F.ExpandChannels(x, 4);
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, 4, 2, 3 }));
        var k = F.RandUniform(dev, 5, -1, 1, y.Shape);
        var g = Autograd.Grad(F.Sum(F.Mul(y, k)), [x])[0].ToArray();
        var kv = k.ToArray();
        for (int b = 0; b < 2; b++)
            for (int q = 0; q < 6; q++)
                Assert.That(g[b * 6 + q], Is.EqualTo(Enumerable.Range(0, 4).Sum(c => (double)kv[(b * 4 + c) * 6 + q])).Within(1e-5));
    }

    static string TorchFile => Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "torch", "shape_ops.npz");

    /// <summary>scripts/gen_shape_reference.py: torch.narrow / F.pad / torch.cat / expand and their input gradients
    /// for the weight pattern the script uses.</summary>
    [Test]
    public void AgreesWithPyTorch([ValueSource(typeof(TestDevices), nameof(TestDevices.Names))] string device)
    {
        var dev = TestDevices.Get(device);
        var z = Npy.ReadNpz(TorchFile);
        using var s = Tensor.Scope();
        int[] shape = [2, 3, 4, 5];
        var data = z["x"].ToFloat();
        var w = z["w"].ToFloat();
        Tensor X() { var t = Tensor.FromArray(dev, data, shape); t.RequiresGrad = true; return t; }
        void Check(string name, Func<Tensor, Tensor> op)
        {
            var x = X();
            var y = op(x);
            Assert.That(y.Shape, Is.EqualTo(z[name + ".y"].Shape), name);
            Assert.That(y.ToArray(), Is.EqualTo(z[name + ".y"].ToFloat()), name);
            var wt = Tensor.FromArray(dev, w.Take((int)y.Numel).ToArray(), y.Shape);
            var g = Autograd.Grad(F.Sum(F.Mul(y, wt)), [x])[0].ToArray();
            Assert.That(g, Is.EqualTo(z[name + ".dx"].ToFloat()).Within(1e-5), name + " dx");
        }
        for (int a = 0; a < 4; a++)
        {
            int axis = a;
            Check($"narrow{a}", x => F.Narrow(x, axis, 1, shape[axis] - 1));
            Check($"pad{a}", x => F.Pad(x, axis, 2, 1, 0.25f));
            Check($"cat{a}", x => F.Cat([x, F.Narrow(x, axis, 0, 1)], axis));
        }
        Check("crop2d", x => F.Crop2d(x, 1, 2, 2, 3));
        Check("pad2d", x => F.Pad2d(x, 1, 2, 7, 8));
        Check("expand", x => F.ExpandChannels(F.Narrow(x, 1, 0, 1), 6));
    }
}
