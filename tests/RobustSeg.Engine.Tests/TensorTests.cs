using RobustSeg.Engine;
using RobustSeg.Kernels;

namespace RobustSeg.Engine.Tests;

public class TensorTests
{
    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void RoundTripsFloatAndIntData(string device)
    {
        var d = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var f = Tensor.FromArray(d, new[] { 1f, -2f, 3.5f, 0f, 5f, 6f }, 2, 3);
        Assert.That(f.ToArray(), Is.EqualTo(new[] { 1f, -2f, 3.5f, 0f, 5f, 6f }));
        Assert.That(f.Shape, Is.EqualTo(new[] { 2, 3 }));
        var i = Tensor.FromArray(d, new[] { 0, 255, -1, 7 }, 4);
        Assert.That(i.ToIntArray(), Is.EqualTo(new[] { 0, 255, -1, 7 }));
        Assert.That(Tensor.Zeros(d, 5).ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void WrongLengthIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(Device.Cpu, new float[5], 2, 3));
        Assert.That(e!.Message, Does.Contain("5 elements").And.Contain("[2, 3]"));
    }

    [Test]
    public void ToStringShowsShapeAndValues()
    {
        using var s = Tensor.Scope();
        var t = Tensor.FromArray(Device.Cpu, new[] { 1f, 2f, 3f, 4f }, 2, 2);
        var text = t.ToString();
        Assert.That(text, Does.Contain("tensor([2, 2], float32, cpu)"));
        Assert.That(text, Does.Contain("[[1, 2],").And.Contain("[3, 4]]"));
    }

    [Test]
    public void ScopeDisposesTensorsNotKept()
    {
        Tensor kept, dropped;
        using (var outer = Tensor.Scope())
        {
            using (var inner = Tensor.Scope())
            {
                kept = inner.Keep(Tensor.Zeros(Device.Cpu, 3));
                dropped = Tensor.Zeros(Device.Cpu, 3);
            }
            Assert.That(dropped.IsDisposed, Is.True);
            Assert.That(kept.IsDisposed, Is.False);
        }
        Assert.That(kept.IsDisposed, Is.True, "kept moves to the enclosing scope, which disposes it");
        var e = Assert.Throws<ObjectDisposedException>(() => dropped.ToArray());
        Assert.That(e!.Message, Does.Contain("disposed"));
    }

    [Test]
    public void PoolReusesBuffersAndReturnsThemAfterAScope()
    {
        var d = Device.Cpu;
        long live0 = d.Pool.LiveBytes;
        using (Tensor.Scope())
        {
            Tensor.Zeros(d, 1000);
            Tensor.Zeros(d, 3000);
            Assert.That(d.Pool.LiveBytes, Is.GreaterThan(live0));
        }
        Assert.That(d.Pool.LiveBytes, Is.EqualTo(live0));
        Assert.That(d.Pool.CachedBytes, Is.GreaterThanOrEqualTo(4 * 4096L));
    }

    [Test]
    public void ViewsShareStorageAndSurviveTheOriginal()
    {
        using var s = Tensor.Scope();
        var a = Tensor.FromArray(Device.Cpu, new[] { 1f, 2f, 3f, 4f }, 4);
        var v = a.ViewAs(2, -1);
        Assert.That(v.Shape, Is.EqualTo(new[] { 2, 2 }));
        a.Dispose();
        Assert.That(v.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f }));
    }

    [Test]
    public void HostAndKernelBackendsAgreeOnLargeElementwiseWork()
    {
        // Big enough that the host path splits the work across threads and uses SIMD.
        int n = 200_003;
        var rng = new Random(5);
        var xa = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var xb = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 + 0.5)).ToArray();
        float[] Run(Device d)
        {
            using var s = Tensor.Scope();
            var a = Tensor.FromArray(d, xa, n);
            var b = Tensor.FromArray(d, xb, n);
            var y = F.Add(F.Mul(F.Exp(F.Clamp(a, -1f, 1f)), F.Log(b)), F.Div(F.Relu(a), b));
            return F.Sum(y).ToArray().Concat(y.ToArray()).ToArray();
        }
        var host = Run(Device.Cpu);
        var ilgpu = Run(Device.Get("ilgpu-cpu"));
        for (int i = 1; i < host.Length; i++) Assert.That(host[i], Is.EqualTo(ilgpu[i]).Within(1e-5f * Math.Max(1f, Math.Abs(ilgpu[i]))), $"element {i - 1}");
        Assert.That(host[0], Is.EqualTo(ilgpu[0]).Within(1e-4 * Math.Abs(ilgpu[0])));
    }

    [Test]
    public void ReluOnTheHostMatchesTheKernelAndPassesNaNAsPyTorchDoes()
    {
        // torch.relu(nan) is nan; the host's vector path, its tail and the ILGPU kernel agree bit for bit, alone and
        // fused into batch norm (+ residual).
        var x = new float[37];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 5 - 2) * 0.5f;
        x[3] = float.NaN; x[20] = -0f; x[36] = float.NaN;
        float[] Run(Device d, bool fused)
        {
            using var s = Tensor.Scope();
            var tx = Tensor.FromArray(d, x, x.Length);
            var y = Tensor.Empty(d, x.Length);
            if (!fused) d.Backend.Unary(UnaryOp.Relu, tx, y);
            else
            {
                // One channel of 37: scale 1, shift 0 and a zero residual leave x as it is before the ReLU.
                var one = Tensor.FromArray(d, new[] { 1f }, 1); var zero = Tensor.FromArray(d, new[] { 0f }, 1);
                var r = Tensor.FromArray(d, new float[x.Length], x.Length);
                d.Backend.BatchNormApply(tx, one, zero, y, 1, x.Length, r, relu: true);
            }
            return y.ToArray();
        }
        foreach (bool fused in new[] { false, true })
        {
            var host = Run(Device.Cpu, fused);
            Assert.That(host, Is.EqualTo(Run(Device.Get("ilgpu-cpu"), fused)), fused ? "fused" : "alone");
            Assert.That(float.IsNaN(host[3]) && float.IsNaN(host[36]), fused ? "fused" : "alone");
            Assert.That(host[4], Is.EqualTo(1f)); Assert.That(host[0], Is.EqualTo(0f)); Assert.That(host[20], Is.EqualTo(0f));
        }
    }

    [Test]
    public void ReluGradientOnTheHostMatchesTheKernelIncludingZeroNaNAndTails()
    {
        // The host's vector path and scalar tail against the ILGPU kernel (the same ElementwiseMath rule).
        var x = new float[37];
        var dy = new float[37];
        for (int i = 0; i < x.Length; i++) { x[i] = (i % 5 - 2) * 0.5f; dy[i] = i + 1; }
        x[3] = float.NaN; x[20] = -0f; x[36] = float.NaN;
        float[] Run(Device d)
        {
            using var s = Tensor.Scope();
            var tx = Tensor.FromArray(d, x, x.Length); var tdy = Tensor.FromArray(d, dy, dy.Length);
            var dx = Tensor.Empty(d, x.Length);
            d.Backend.UnaryGrad(UnaryOp.Relu, tx, tx, tdy, dx);
            return dx.ToArray();
        }
        var host = Run(Device.Cpu);
        Assert.That(host, Is.EqualTo(Run(Device.Get("ilgpu-cpu"))));
        // PyTorch's threshold_backward: zero where x <= 0 (so at -0), dy elsewhere, a NaN x included.
        Assert.That(host[3], Is.EqualTo(dy[3])); Assert.That(host[36], Is.EqualTo(dy[36]));
        Assert.That(host[4], Is.EqualTo(dy[4])); Assert.That(host[2], Is.EqualTo(0f)); Assert.That(host[20], Is.EqualTo(0f));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void RandUniformIsTheSameOnEveryDeviceAndInRange(string device)
    {
        using var s = Tensor.Scope();
        var a = F.RandUniform(TestDevices.Get(device), 42, -0.5f, 0.5f, 1000).ToArray();
        var b = F.RandUniform(Device.Cpu, 42, -0.5f, 0.5f, 1000).ToArray();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.Min(), Is.GreaterThanOrEqualTo(-0.5f));
        Assert.That(a.Max(), Is.LessThan(0.5f));
        Assert.That(Math.Abs(a.Average()), Is.LessThan(0.05));
        Assert.That(ElementwiseMath.HashUniform(1, 0), Is.Not.EqualTo(ElementwiseMath.HashUniform(2, 0)));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void ArgmaxTakesTheFirstMaximum(string device)
    {
        using var s = Tensor.Scope();
        // (1, 3, 2): pixel 0 has a tie between channels 1 and 2.
        var x = Tensor.FromArray(TestDevices.Get(device), new[] { 0f, 5f, 2f, 1f, 2f, 1f }, 1, 3, 2);
        Assert.That(F.Argmax(x).ToIntArray(), Is.EqualTo(new[] { 1, 0 }));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void MaxChannelsFollowsTheScalarRuleOverManyPixels(string device)
    {
        // (2, 5, 37): whole vectors of pixels and a tail; coarse values (ties) and NaNs, a later NaN never replacing an earlier.
        var d = TestDevices.Get(device);
        using var s = Tensor.Scope();
        const int n = 2, c = 5, sp = 37;
        var rng = new Random(7);
        var data = new float[n * c * sp];
        for (int i = 0; i < data.Length; i++) data[i] = rng.Next(10) == 0 ? float.NaN : rng.Next(4);
        var (values, indices) = F.MaxChannels(Tensor.FromArray(d, data, n, c, sp));
        float[] v = values.ToArray(); int[] ix = indices.ToIntArray();
        for (int b = 0; b < n; b++)
        for (int q = 0; q < sp; q++)
        {
            float best = data[b * c * sp + q]; int bi = 0;
            for (int ch = 1; ch < c; ch++)
            {
                float x = data[(b * c + ch) * sp + q];
                if (x > best || (float.IsNaN(x) && !float.IsNaN(best))) { best = x; bi = ch; }
            }
            Assert.That(ix[b * sp + q], Is.EqualTo(bi), $"index of image {b} pixel {q}");
            Assert.That(v[b * sp + q], Is.EqualTo(best), $"value of image {b} pixel {q}");
        }
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void WhereSelectsOverManyPixels(string device)
    {
        // (2, 3, 29) against a (2, 29) mask, and elementwise: whole vectors and a tail.
        var d = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var rng = new Random(11);
        float[] a = Enumerable.Range(0, 2 * 3 * 29).Select(i => (float)i).ToArray(), b = a.Select(x => -x - 1).ToArray();
        int[] m = Enumerable.Range(0, 2 * 29).Select(_ => rng.Next(2) * rng.Next(1, 5)).ToArray();
        var y = F.Where(Tensor.FromArray(d, m, 2, 29), Tensor.FromArray(d, a, 2, 3, 29), Tensor.FromArray(d, b, 2, 3, 29)).ToArray();
        for (int i = 0; i < a.Length; i++)
            Assert.That(y[i], Is.EqualTo(m[i / (3 * 29) * 29 + i % 29] != 0 ? a[i] : b[i]), $"broadcast element {i}");
        int[] me = Enumerable.Range(0, a.Length).Select(_ => rng.Next(2)).ToArray();
        var ye = F.Where(Tensor.FromArray(d, me, 2, 3, 29), Tensor.FromArray(d, a, 2, 3, 29), Tensor.FromArray(d, b, 2, 3, 29)).ToArray();
        for (int i = 0; i < a.Length; i++) Assert.That(ye[i], Is.EqualTo(me[i] != 0 ? a[i] : b[i]), $"element {i}");
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void WhereRoutesPerPixelAcrossChannels(string device)
    {
        var d = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var a = Tensor.FromArray(d, new[] { 1f, 2f, 3f, 4f }, 1, 2, 2);
        var b = Tensor.FromArray(d, new[] { 10f, 20f, 30f, 40f }, 1, 2, 2);
        var m = Tensor.FromArray(d, new[] { 1, 0 }, 1, 2);
        Assert.That(F.Where(m, a, b).ToArray(), Is.EqualTo(new[] { 1f, 20f, 3f, 40f }));
        Assert.That(F.NotEqual(Tensor.FromArray(d, new[] { 1, 2 }, 2), Tensor.FromArray(d, new[] { 1, 3 }, 2)).ToIntArray(), Is.EqualTo(new[] { 0, 1 }));
    }
}
