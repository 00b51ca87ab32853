using RobustSeg.Engine.IO;
using RobustSeg.Engine.Reference;
using RobustSeg.Kernels;

namespace RobustSeg.Engine.Tests;

public class BatchNormTests
{
    public static IEnumerable<TestCaseData> TorchCases() =>
        from c in BnPoolTorchData.Cases("batchnorm.npz")
        from d in TestDevices.Names
        select new TestCaseData(c, d).SetName($"batchnorm torch {c} on {d}");

    [TestCaseSource(nameof(TorchCases))]
    public void AgreesWithTorch(string name, string device)
    {
        var dev = TestDevices.Get(device);
        var r = BnPoolTorchData.Load("batchnorm.npz");
        NpyArray A(string k) => r[name + "." + k];
        bool training = name.StartsWith("train");
        bool longCase = name.Contains("long");
        int[] shape; float[] x, dy;
        int sample = 1;
        if (longCase)
        {
            shape = [8, 3, 33, 33];
            int n = shape.Aggregate(1, (a, b) => a * b);
            x = BnPoolTorchData.Pattern(n, 7919, 13, 3.0);
            dy = BnPoolTorchData.Pattern(n, 104729, 7, 0.0);
            sample = 17;
        }
        else
        {
            shape = A("x").Shape;
            x = A("x").ToFloat();
            dy = A("dy").ToFloat();
        }
        int c = shape[1];
        bool affine = r.ContainsKey(name + ".w");
        using var scope = Tensor.Scope();
        var xt = Tensor.FromArray(dev, x, shape);
        xt.RequiresGrad = true;
        Tensor? w = null, b = null;
        if (affine)
        {
            w = Tensor.FromArray(dev, A("w").ToFloat(), c); w.RequiresGrad = true;
            b = Tensor.FromArray(dev, A("b").ToFloat(), c); b.RequiresGrad = true;
        }
        var rm = Tensor.FromArray(dev, A("rm0").ToFloat(), c);
        var rv = Tensor.FromArray(dev, A("rv0").ToFloat(), c);
        var y = F.BatchNorm2d(xt, w, b, rm, rv, training);
        var inputs = affine ? new[] { xt, w!, b! } : new[] { xt };
        var g = Autograd.Grad(y, inputs, Tensor.FromArray(dev, dy, shape));
        double tol = longCase ? 1e-3 : 1e-4;
        BnPoolTorchData.Close(BnPoolTorchData.Every(y.ToArray(), sample), A("y").ToFloat(), tol, "y");
        BnPoolTorchData.Close(BnPoolTorchData.Every(g[0].ToArray(), sample), A("dx").ToFloat(), tol, "dx");
        if (affine)
        {
            BnPoolTorchData.Close(g[1].ToArray(), A("dw").ToFloat(), tol, "dweight");
            BnPoolTorchData.Close(g[2].ToArray(), A("db").ToFloat(), tol, "dbias");
        }
        BnPoolTorchData.Close(rm.ToArray(), A("rm1").ToFloat(), 1e-5, "running_mean");
        BnPoolTorchData.Close(rv.ToArray(), A("rv1").ToFloat(), 1e-5, "running_var");
    }

    static (float[] Y, float[] Dx, float[] Dw, float[] Db, float[] Rm, float[] Rv) Run(Device dev, int[] shape, bool training, int seed)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, v) => a * v), c = shape[1];
        float[] R(int k, double scale, double off) => Enumerable.Range(0, k).Select(_ => (float)(off + scale * (rng.NextDouble() * 2 - 1))).ToArray();
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(dev, R(n, 2, 1.5), shape); x.RequiresGrad = true;
        var w = Tensor.FromArray(dev, R(c, 0.5, 1), c); w.RequiresGrad = true;
        var b = Tensor.FromArray(dev, R(c, 0.5, 0), c); b.RequiresGrad = true;
        var rm = Tensor.FromArray(dev, R(c, 0.2, 0), c);
        var rv = Tensor.FromArray(dev, R(c, 0.5, 1), c);
        var y = F.BatchNorm2d(x, w, b, rm, rv, training);
        var g = Autograd.Grad(y, [x, w, b], Tensor.FromArray(dev, R(n, 1, 0), shape));
        return (y.ToArray(), g[0].ToArray(), g[1].ToArray(), g[2].ToArray(), rm.ToArray(), rv.ToArray());
    }

    [TestCase(true, new[] { 3, 5, 9, 11 })]
    [TestCase(false, new[] { 3, 5, 9, 11 })]
    [TestCase(true, new[] { 2, 7, 1, 1 })]
    [TestCase(true, new[] { 2, 4, 33, 33 })]
    [TestCase(false, new[] { 1, 4, 1, 1 })]
    public void HostPathAgreesWithKernels(bool training, int[] shape)
    {
        var a = Run(Device.Get("cpu"), shape, training, 5);
        var k = Run(Device.Get("ilgpu-cpu"), shape, training, 5);
        BnPoolTorchData.Close(a.Y, k.Y, 1e-5, "y");
        BnPoolTorchData.Close(a.Dx, k.Dx, 1e-5, "dx");
        BnPoolTorchData.Close(a.Dw, k.Dw, 1e-5, "dweight");
        BnPoolTorchData.Close(a.Db, k.Db, 1e-5, "dbias");
        BnPoolTorchData.Close(a.Rm, k.Rm, 1e-6, "running_mean");
        BnPoolTorchData.Close(a.Rv, k.Rv, 1e-6, "running_var");
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void RunningStatsFollowMomentumAndUnbiasedVariance(string device)
    {
        var dev = TestDevices.Get(device);
        int[] shape = [3, 2, 4, 5];
        var rng = new Random(3);
        var x = Enumerable.Range(0, 120).Select(_ => (float)(rng.NextDouble() * 4 - 1)).ToArray();
        double[] rm0 = [0.5, -0.25], rv0 = [2.0, 0.75];
        using var scope = Tensor.Scope();
        var rm = Tensor.FromArray(dev, rm0.Select(v => (float)v).ToArray(), 2);
        var rv = Tensor.FromArray(dev, rv0.Select(v => (float)v).ToArray(), 2);
        F.BatchNorm2d(Tensor.FromArray(dev, x, shape), null, null, rm, rv, training: true);
        var (wantM, wantV) = BatchNormReference.UpdatedRunning(x.Select(v => (double)v).ToArray(), rm0, rv0, 3, 2, 20);
        Assert.That(rm.ToArray(), Is.EqualTo(wantM.Select(v => (float)v)).Within(1e-5));
        Assert.That(rv.ToArray(), Is.EqualTo(wantV.Select(v => (float)v)).Within(1e-5));
        // Not the biased variance: (1-m)*rv + m*var*n/(n-1) differs from it by a visible amount here.
        var (_, varB) = BatchNormReference.Stats(x.Select(v => (double)v).ToArray(), 3, 2, 20);
        Assert.That(Math.Abs(rv.ToArray()[0] - (0.9 * rv0[0] + 0.1 * varB[0])), Is.GreaterThan(1e-4));

        // Eval mode reads the running stats and leaves them alone.
        var before = (rm.ToArray(), rv.ToArray());
        var y = F.BatchNorm2d(Tensor.FromArray(dev, x, shape), null, null, rm, rv, training: false);
        Assert.That(rm.ToArray(), Is.EqualTo(before.Item1));
        Assert.That(rv.ToArray(), Is.EqualTo(before.Item2));
        var want = BatchNormReference.Forward(x.Select(v => (double)v).ToArray(), null, null,
            before.Item1.Select(v => (double)v).ToArray(), before.Item2.Select(v => (double)v).ToArray(), false, 3, 2, 20);
        BnPoolTorchData.Close(y.ToArray(), want.Select(v => (float)v).ToArray(), 1e-5, "eval y");
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void EvalInputGradientSkipsTheReductions(string device)
    {
        var dev = TestDevices.Get(device);
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(dev, Enumerable.Range(0, 24).Select(i => i * 0.1f).ToArray(), 2, 3, 2, 2);
        x.RequiresGrad = true;
        var w = Tensor.FromArray(dev, [2f, -1f, 0.5f], 3);
        var rv = Tensor.FromArray(dev, [3f, 0.25f, 1f], 3);
        var y = F.BatchNorm2d(x, w, null, Tensor.Zeros(dev, 3), rv, training: false, eps: 0f + 1e-5f);
        long before = dev.Kernels.LaunchCounts.GetValueOrDefault("BackPartial");
        var dx = Autograd.Grad(y, [x], Tensor.Full(dev, 1f, 2, 3, 2, 2))[0].ToArray();
        Assert.That(dev.Kernels.LaunchCounts.GetValueOrDefault("BackPartial"), Is.EqualTo(before));
        // dx = dy * w / sqrt(rv + eps).
        for (int j = 0; j < 24; j++)
        {
            int c = j / 4 % 3;
            double want = new[] { 2.0, -1.0, 0.5 }[c] / Math.Sqrt(new[] { 3.0, 0.25, 1.0 }[c] + 1e-5);
            Assert.That(dx[j], Is.EqualTo(want).Within(1e-5));
        }
    }

    [Test]
    public void SameInputsGiveIdenticalResults()
    {
        foreach (var d in TestDevices.Names)
        {
            var a = Run(Device.Get(d), [4, 3, 17, 19], true, 11);
            var b = Run(Device.Get(d), [4, 3, 17, 19], true, 11);
            Assert.That(a.Y, Is.EqualTo(b.Y), d);
            Assert.That(a.Dx, Is.EqualTo(b.Dx), d);
            Assert.That(a.Dw, Is.EqualTo(b.Dw), d);
        }
    }

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(7)]
    public void StridedPartialsOfTheGpuShapeAgree(int q)
    {
        // On CUDA each plane is split into Q strided parts; run that shape on the CPU accelerator and check
        // the merged statistics and backward sums against the double reference.
        var dev = Device.Get("ilgpu-cpu");
        const int n = 3, c = 2, s = 23;
        var rng = new Random(q);
        var x = Enumerable.Range(0, n * c * s).Select(_ => (float)(2 + rng.NextDouble() * 3)).ToArray();
        var dy = Enumerable.Range(0, n * c * s).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        using var scope = Tensor.Scope();
        var xt = Tensor.FromArray(dev, x, n, c, s);
        var dyt = Tensor.FromArray(dev, dy, n, c, s);
        int total = c * n * q;
        var pm = Tensor.Empty(dev, total); var p2 = Tensor.Empty(dev, total);
        dev.Kernels.Launch(BatchNormKernels.Partial, total, new BnPartialArgs { X = xt.View, PMean = pm.View, PM2 = p2.View, N = n, C = c, S = s, Q = q, Total = total, Chunk = 1 });
        var rm = Tensor.Zeros(dev, c); var rv = Tensor.Full(dev, 1f, c);
        var mean = Tensor.Empty(dev, c); var inv = Tensor.Empty(dev, c); var sc = Tensor.Empty(dev, c); var sh = Tensor.Empty(dev, c);
        dev.Kernels.Launch(BatchNormKernels.Finish, c, new BnFinishArgs
        {
            PMean = pm.View, PM2 = p2.View, Weight = mean.View, Bias = mean.View, RunMean = rm.View, RunVar = rv.View,
            Mean = mean.View, Invstd = inv.View, Scale = sc.View, Shift = sh.View, N = n, S = s, Q = q, C = c, Training = 1, Chunk = 1,
            Momentum = 0.1f, Eps = 1e-5f,
        });
        var xd = x.Select(v => (double)v).ToArray();
        var (wm, wv) = BatchNormReference.Stats(xd, n, c, s);
        Assert.That(mean.ToArray(), Is.EqualTo(wm.Select(v => (float)v)).Within(1e-5));
        Assert.That(inv.ToArray(), Is.EqualTo(wv.Select(v => (float)(1 / Math.Sqrt(v + 1e-5)))).Within(1e-4));

        var ps1 = Tensor.Empty(dev, total); var ps2 = Tensor.Empty(dev, total);
        dev.Kernels.Launch(BatchNormKernels.BackPartial, total, new BnBackPartialArgs
        {
            X = xt.View, DY = dyt.View, Y = dyt.View, Mean = mean.View, PSumDy = ps1.View, PSumDyXmu = ps2.View, N = n, C = c, S = s, Q = q, Total = total, Chunk = 1,
        });
        var dw = Tensor.Empty(dev, c); var db = Tensor.Empty(dev, c);
        var ca = Tensor.Empty(dev, c); var ck = Tensor.Empty(dev, c); var cd = Tensor.Empty(dev, c);
        dev.Kernels.Launch(BatchNormKernels.BackFinish, c, new BnBackFinishArgs
        {
            PSumDy = ps1.View, PSumDyXmu = ps2.View, Invstd = inv.View, Weight = inv.View, DWeight = dw.View, DBias = db.View,
            CoefA = ca.View, CoefK = ck.View, CoefD = cd.View, Parts = n * q, C = c, WantDWeight = 1, WantDBias = 1, UsePartials = 1,
            Training = 1, Chunk = 1, Count = n * s,
        });
        for (int ch = 0; ch < c; ch++)
        {
            double s1 = 0, s2 = 0;
            for (int b = 0; b < n; b++)
                for (int k = 0; k < s; k++) { int j = (b * c + ch) * s + k; s1 += dy[j]; s2 += dy[j] * (x[j] - wm[ch]); }
            Assert.That(db.ToArray()[ch], Is.EqualTo(s1).Within(1e-4), "dbias");
            Assert.That(dw.ToArray()[ch], Is.EqualTo(s2 / Math.Sqrt(wv[ch] + 1e-5)).Within(1e-4), "dweight");
        }
    }

    [Test]
    public void BadArgumentsAreClearErrors()
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros(dev, 2, 3, 4, 4);
        var ok = Tensor.Zeros(dev, 3);
        var ex = Assert.Throws<ArgumentException>(() => F.BatchNorm2d(x, Tensor.Zeros(dev, 4), null, ok, ok, true));
        Assert.That(ex!.Message, Does.Contain("weight").And.Contain("[3]"));
        ex = Assert.Throws<ArgumentException>(() => F.BatchNorm2d(x, null, null, ok, Tensor.Zeros(dev, 2), true));
        Assert.That(ex!.Message, Does.Contain("running_var"));
        // PyTorch refuses to train on one value per channel; eval mode is fine.
        var one = Tensor.Zeros(dev, 1, 3, 1, 1);
        ex = Assert.Throws<ArgumentException>(() => F.BatchNorm2d(one, null, null, ok, Tensor.Full(dev, 1f, 3), true));
        Assert.That(ex!.Message, Does.Contain("more than 1 value per channel"));
        Assert.That(F.BatchNorm2d(one, null, null, ok, Tensor.Full(dev, 1f, 3), false).Shape, Is.EqualTo(new[] { 1, 3, 1, 1 }));
    }
}
