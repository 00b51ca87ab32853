using RobustSeg.Engine.IO;
using RobustSeg.Engine.Reference;

namespace RobustSeg.Engine.Tests;

public class Conv2dTests
{
    static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    static double RelErr(float[] a, float[] b) => InterpolateTests.Rel(a, b);

    /// <summary>y, dx, dw, db of sum(conv(x, w, b) * r) on one device.</summary>
    static float[][] Run(Device dev, float[] x, int[] xs, float[] w, int[] ws, float[]? b, float[] r, int s, int p, int d)
    {
        using var scope = Tensor.Scope();
        var tx = Tensor.FromArray(dev, x, xs); tx.RequiresGrad = true;
        var tw = Tensor.FromArray(dev, w, ws); tw.RequiresGrad = true;
        var tb = b is null ? null : Tensor.FromArray(dev, b, ws[0]);
        if (tb is not null) tb.RequiresGrad = true;
        var y = F.Conv2d(tx, tw, tb, s, p, d);
        var tr = Tensor.FromArray(dev, r, y.Shape);
        var grads = Autograd.Grad(y, tb is null ? [tx, tw] : [tx, tw, tb], tr);
        return [y.ToArray(), .. grads.Select(t => t.ToArray())];
    }

    [TestCase(2, 5, 9, 11, 6, 3, 3, 1, 1, 1, true)]
    [TestCase(1, 4, 13, 12, 3, 3, 3, 2, 1, 1, false)]
    [TestCase(2, 3, 14, 14, 4, 3, 3, 1, 4, 4, true)]
    [TestCase(2, 6, 7, 8, 5, 1, 1, 1, 0, 1, true)]
    [TestCase(1, 3, 8, 9, 2, 3, 1, 1, 1, 1, false)]
    // Past the GEMM's serial threshold and tile sizes: parallel tasks over images and column ranges, dilation,
    // a 1x1 on the input directly (GemmTests covers each of the GEMM's task plans).
    [TestCase(1, 20, 33, 31, 40, 3, 3, 1, 1, 1, true)]
    [TestCase(1, 12, 29, 29, 150, 3, 3, 1, 2, 2, false)]
    [TestCase(2, 36, 17, 19, 160, 1, 1, 1, 0, 1, false)]
    // Taps that read only padding (run as a smaller kernel): centre only, and a 5x5 whose outer ring is dead.
    [TestCase(2, 6, 9, 9, 5, 3, 3, 1, 9, 9, true)]
    [TestCase(1, 3, 7, 7, 4, 5, 5, 1, 8, 4, true)]
    // Bands of output rows that skip the kernel rows reading only padding (host ConvRowBands): DeepLabV3's rates at
    // 29x29, and a strided one.
    [TestCase(2, 5, 29, 29, 7, 3, 3, 1, 24, 24, true)]
    [TestCase(1, 6, 29, 29, 10, 3, 3, 1, 12, 12, false)]
    [TestCase(1, 3, 41, 51, 4, 3, 3, 2, 16, 16, false)]
    // The data gradient as the forward conv of dy with the flipped, transposed kernel, packed from dy (C >= 2K, too
    // many input channels for the direct path): plain, dilated, and in row bands.
    [TestCase(2, 160, 13, 15, 12, 3, 3, 1, 1, 1, true)]
    [TestCase(1, 96, 29, 29, 8, 3, 3, 1, 6, 6, false)]
    [TestCase(1, 80, 29, 29, 6, 3, 3, 1, 24, 24, false)]
    // A small weight gradient over strided gathered columns (the first conv's 32 x 27): one partial per image, summed in
    // image order; rows of 17 and 13 output pixels (8 at a time and the rest).
    [TestCase(2, 3, 33, 33, 8, 3, 3, 2, 1, 1, false)]
    [TestCase(3, 3, 25, 27, 5, 3, 3, 2, 1, 1, true)]
    // ...as dot products along the pixels (HostDot): 7 rows and 25 taps (partial tiles of both), 1190 pixels (two whole
    // chunks and a last one ending in a partial vector).
    [TestCase(2, 1, 67, 69, 7, 5, 5, 2, 2, 1, false)]
    // ...and one output channel over 1800 taps: chunks of 32 pixels, so the gathered rows stay at 256 KB.
    [TestCase(2, 200, 17, 17, 1, 3, 3, 2, 1, 1, false)]
    [NonParallelizable]
    public void HostAgreesWithIlgpuKernelsAndReference(int n, int c, int h, int w, int k, int kh, int kw, int s, int p, int d, bool bias)
    {
        var x = Rand(n * c * h * w, 1); var wt = Rand(k * c * kh * kw, 2);
        var b = bias ? Rand(k, 3) : null;
        int ho = (h + 2 * p - d * (kh - 1) - 1) / s + 1, wo = (w + 2 * p - d * (kw - 1) - 1) / s + 1;
        var r = Rand(n * k * ho * wo, 4);
        var kern = Run(Device.Get("ilgpu-cpu"), x, [n, c, h, w], wt, [k, c, kh, kw], b, r, s, p, d);
        var yRef = ConvReference.Conv2d(x.Select(v => (double)v).ToArray(), wt.Select(v => (double)v).ToArray(),
            b?.Select(v => (double)v).ToArray(), n, c, h, w, k, kh, kw, s, p, d);
        string[] names = ["y", "dx", "dw", "db"];
        // Every host SIMD path this CPU runs (ROBUSTSEG_SIMD): each has its own GEMM tile shape and packing.
        foreach (var path in RobustSeg.Engine.Cpu.HostSimd.Available())
        {
            float[][] host;
            using (RobustSeg.Engine.Cpu.HostSimd.Use(path)) host = Run(Device.Get("cpu"), x, [n, c, h, w], wt, [k, c, kh, kw], b, r, s, p, d);
            for (int i = 0; i < host.Length; i++)
                Assert.That(RelErr(host[i], kern[i]), Is.LessThan(1e-5), $"{path} {names[i]}: host vs ilgpu-cpu");
            Assert.That(RelErr(host[0], yRef.Select(v => (float)v).ToArray()), Is.LessThan(1e-5), $"{path} y vs double reference");
        }
    }

    [Test]
    [NonParallelizable]
    public void SmallStridedWeightGradientHasTheSameBitsOnOneThreadAndOnTwo()
    {
        // SumByImage's partials are per image whatever the core count, so the sum is too.
        var dev = Device.Get("cpu");
        int n = 4, c = 3, h = 65, k = 32;
        var x = Rand(n * c * h * h, 21); var dy = Rand(n * k * 33 * 33, 22);
        float[] Dw()
        {
            using var scope = Tensor.Scope();
            var tx = Tensor.FromArray(dev, x, n, c, h, h); var tdy = Tensor.FromArray(dev, dy, n, k, 33, 33);
            var tw = Tensor.Empty(dev, k, c, 3, 3);
            var g = new Conv2dGeom(n, c, h, h, k, 3, 3, 2, 1, 1, 33, 33);
            dev.Backend.Conv2dBackwardWeight(g, tx, tdy, tw);
            return tw.ToArray();
        }
        int cores = RobustSeg.Engine.Cpu.HostParallel.Cores;
        float[] one, two;
        try
        {
            RobustSeg.Engine.Cpu.HostParallel.SetThreads(1);
            one = Dw();
            RobustSeg.Engine.Cpu.HostParallel.SetThreads(2);
            two = Dw();
        }
        finally { RobustSeg.Engine.Cpu.HostParallel.SetThreads(cores); }
        Assert.That(two, Is.EqualTo(one));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void DeadTapsGiveTheFullKernelsOutputAndGradients(string device)
    {
        // 5x5, dilation 4, padding 8 on 7x7: the outer ring of taps reads only padding, so F.Conv2d runs the inner 3x3.
        var dev = Device.Get(device);
        int n = 2, c = 3, h = 7, k = 4, kh = 5, p = 8, d = 4;
        var x = Rand(n * c * h * h, 11); var wt = Rand(k * c * kh * kh, 12); var r = Rand(n * k * h * h, 13);
        var got = Run(dev, x, [n, c, h, h], wt, [k, c, kh, kh], null, r, 1, p, d);
        using var scope = Tensor.Scope();
        var tx = Tensor.FromArray(dev, x, n, c, h, h); var tw = Tensor.FromArray(dev, wt, k, c, kh, kh);
        var tr = Tensor.FromArray(dev, r, n, k, h, h);
        var g = F.Conv2dShape(tx, tw, null, 1, p, d);
        var y = Tensor.Empty(dev, n, k, h, h); var dx = Tensor.Empty(dev, tx.Shape); var dw = Tensor.Empty(dev, tw.Shape);
        dev.Backend.Conv2dForward(g, tx, tw, null, y);
        dev.Backend.Conv2dBackwardData(g, tr, tw, dx);
        dev.Backend.Conv2dBackwardWeight(g, tx, tr, dw);
        float[][] full = [y.ToArray(), dx.ToArray(), dw.ToArray()];
        string[] names = ["y", "dx", "dw"];
        for (int i = 0; i < 3; i++) Assert.That(RelErr(got[i], full[i]), Is.LessThan(1e-5), names[i]);
        for (int kk = 0; kk < k * c; kk++)
        for (int t = 0; t < kh * kh; t++)
        {
            int ti = t / kh, tj = t % kh;
            if (ti is 0 or 4 || tj is 0 or 4) Assert.That(got[2][kk * kh * kh + t], Is.EqualTo(0f), $"dead tap ({ti},{tj}) gradient");
        }
    }

    static IEnumerable<string> TorchFiles() =>
        Directory.GetFiles(Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "torch"), "conv2d_*.npz")
            .Select(Path.GetFileName).Order()!;

    [Test]
    public void TorchReferenceFilesArePresent() => Assert.That(TorchFiles().Count(), Is.GreaterThanOrEqualTo(5));

    [TestCaseSource(nameof(TorchFiles))]
    public void AgreesWithPyTorch(string file)
    {
        var z = Npy.ReadNpz(Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "torch", file));
        var geom = z["geom"].ToInt();
        bool bias = z.ContainsKey("b");
        int reduction = z["w"].Shape[1] * z["w"].Shape[2] * z["w"].Shape[3];
        double tol = reduction > 200 ? 1e-3 : 1e-4;
        foreach (var dev in TestDevices.Names)
        {
            var got = Run(Device.Get(dev), z["x"].ToFloat(), z["x"].Shape, z["w"].ToFloat(), z["w"].Shape,
                bias ? z["b"].ToFloat() : null, z["r"].ToFloat(), geom[0], geom[1], geom[2]);
            Assert.That(RelErr(got[0], z["y"].ToFloat()), Is.LessThan(tol), $"{file} y on {dev}");
            Assert.That(RelErr(got[1], z["dx"].ToFloat()), Is.LessThan(tol), $"{file} dx on {dev}");
            Assert.That(RelErr(got[2], z["dw"].ToFloat()), Is.LessThan(tol), $"{file} dw on {dev}");
            if (bias) Assert.That(RelErr(got[3], z["db"].ToFloat()), Is.LessThan(tol), $"{file} db on {dev}");
        }
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void InputGradientAloneSkipsTheWeightGradient(string device)
    {
        var dev = Device.Get(device);
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(dev, Rand(2 * 3 * 8 * 8, 5), 2, 3, 8, 8); x.RequiresGrad = true;
        var w = Tensor.FromArray(dev, Rand(4 * 3 * 3 * 3, 6), 4, 3, 3, 3); w.RequiresGrad = true;
        var b = Tensor.FromArray(dev, Rand(4, 7), 4); b.RequiresGrad = true;
        var loss = F.Sum(F.Square(F.Conv2d(x, w, b, 1, 1, 1)));
        long Count(string name) => dev.Kernels.LaunchCounts.TryGetValue(name, out var v) ? v : 0;
        long data0 = Count("conv2d_bwd_data"), weight0 = Count("conv2d_bwd_weight");
        var dx = Autograd.Grad(loss, [x])[0];
        Assert.That(Count("conv2d_bwd_data"), Is.EqualTo(data0 + 1), "input gradient computed once");
        Assert.That(Count("conv2d_bwd_weight"), Is.EqualTo(weight0), "weight gradient must not run");
        Assert.That(dx.ToArray().Any(v => v != 0f), Is.True);
        // And the other way round: only the weight gradient.
        Autograd.Grad(F.Sum(F.Square(F.Conv2d(x, w, b, 1, 1, 1))), [w]);
        Assert.That(Count("conv2d_bwd_data"), Is.EqualTo(data0 + 1), "input gradient must not run for [w]");
        Assert.That(Count("conv2d_bwd_weight"), Is.EqualTo(weight0 + 1));
    }

    static IEnumerable<TestCaseData> BlockCases() =>
        from d in TestDevices.Names
        from g in new[] { (2, 1, 1), (1, 2, 2) }
        select new TestCaseData(d, g.Item1, g.Item2, g.Item3).SetName($"small column budget s{g.Item1} p{g.Item2} d{g.Item3} on {d}");

    [TestCaseSource(nameof(BlockCases))]
    public void SmallColumnBudgetGivesTheSameResult(string device, int s, int p, int d)
    {
        // Forces row blocking (host) and one image per group split into row blocks (kernels).
        var dev = Device.Get(device);
        var x = Rand(3 * 4 * 11 * 10, 8); var w = Rand(5 * 4 * 3 * 3, 9); var b = Rand(5, 10);
        int ho = (11 + 2 * p - 2 * d - 1) / s + 1, wo = (10 + 2 * p - 2 * d - 1) / s + 1;
        var r = Rand(3 * 5 * ho * wo, 11);
        var full = Run(dev, x, [3, 4, 11, 10], w, [5, 4, 3, 3], b, r, s, p, d);
        long keep = Backend.ConvColumnBudget;
        try
        {
            Backend.ConvColumnBudget = 4 * 9 * wo * 2; // two output rows of one image
            var blocked = Run(dev, x, [3, 4, 11, 10], w, [5, 4, 3, 3], b, r, s, p, d);
            for (int i = 0; i < full.Length; i++) Assert.That(RelErr(blocked[i], full[i]), Is.LessThan(1e-5));
        }
        finally { Backend.ConvColumnBudget = keep; }
    }

    [Test]
    public void BadShapesGiveClearErrors()
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros(dev, 1, 3, 5, 5);
        var ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros(dev, 2, 4, 3, 3), null))!;
        Assert.That(ex.Message, Does.Contain("input channels"));
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros(dev, 2, 3, 3, 3), Tensor.Zeros(dev, 3)))!;
        Assert.That(ex.Message, Does.Contain("bias"));
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros(dev, 2, 3, 3, 3), null, 1, 0, 3))!;
        Assert.That(ex.Message, Does.Contain("smaller than the dilated kernel"));
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(dev, 3, 5, 5), Tensor.Zeros(dev, 2, 3, 3, 3), null))!;
        Assert.That(ex.Message, Does.Contain("4-D"));
        Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros(dev, 2, 3, 3, 3), null, 0));
    }
}
