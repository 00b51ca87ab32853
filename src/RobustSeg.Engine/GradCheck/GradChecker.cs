namespace RobustSeg.Engine.GradChecks;

public static class GradChecker
{
    /// <summary>Max |a-b| and that divided by max |b| (a scale-free error).</summary>
    public static (double Abs, double Rel) Compare(ReadOnlySpan<float> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"length {a.Length} vs {b.Length}");
        double maxAbs = 0, maxRef = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs(a[i] - b[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            maxAbs = Math.Max(maxAbs, d);
            maxRef = Math.Max(maxRef, Math.Abs(b[i]));
        }
        return (maxAbs, maxAbs / Math.Max(maxRef, 1e-6));
    }

    public static GradCheckResult Run(GradCheckCase c, Device device, int seed = 1234)
    {
        var rng = new Random(seed);
        int nIn = c.Shapes.Length;
        var diff = c.Differentiable ?? Enumerable.Repeat(true, nIn).ToArray();
        var host = new double[nIn][];
        for (int i = 0; i < nIn; i++)
        {
            host[i] = new double[Tensor.ShapeNumel(c.Shapes[i])];
            for (int j = 0; j < host[i].Length; j++)
                host[i][j] = (float)(c.Init?.Invoke(i, rng) ?? rng.NextDouble() * 2 - 1); // representable in float
        }
        var yRef = c.Reference(host);
        var proj = new double[yRef.Length];
        for (int j = 0; j < proj.Length; j++) proj[j] = (float)(rng.NextDouble() * 2 - 1);

        using var scope = Tensor.Scope();
        var inputs = new Tensor[nIn];
        for (int i = 0; i < nIn; i++)
        {
            inputs[i] = Tensor.FromArray(device, host[i].Select(v => (float)v).ToArray(), c.Shapes[i]);
            inputs[i].RequiresGrad = diff[i];
        }
        var y = c.Forward(inputs);
        var yv = y.ToArray();
        var (fAbs, fRel) = Compare(yv, yRef);

        double rAbs = 0, rRel = 0, dAbs = 0, dRel = 0;
        var diffInputs = Enumerable.Range(0, nIn).Where(i => diff[i]).ToArray();
        if (diffInputs.Length > 0 && yv.Length > 0)
        {
            var g = Tensor.FromArray(device, proj.Select(v => (float)v).ToArray(), y.Shape);
            var grads = Autograd.Grad(y, diffInputs.Select(i => inputs[i]).ToArray(), g);
            for (int gi = 0; gi < diffInputs.Length; gi++)
            {
                int i = diffInputs[gi];
                var ga = grads[gi].ToArray();
                // Reference gradient: central differences of <ref(x), proj> in double.
                var coords = Sample(host[i].Length, c.RefSamples, rng);
                var got = new float[coords.Length];
                var want = new double[coords.Length];
                for (int q = 0; q < coords.Length; q++)
                {
                    int j = coords[q];
                    got[q] = ga[j];
                    want[q] = DoubleFd(c, host, i, j, proj, 1e-6);
                }
                var (a1, r1) = Compare(got, want);
                rAbs = Math.Max(rAbs, a1); rRel = Math.Max(rRel, r1);

                // Float finite differences of the op itself (coarse).
                var fdCoords = coords.Take(c.FdSamples).ToArray();
                var gotFd = new float[fdCoords.Length];
                var wantFd = new double[fdCoords.Length];
                for (int q = 0; q < fdCoords.Length; q++)
                {
                    int j = fdCoords[q];
                    gotFd[q] = ga[j];
                    wantFd[q] = FloatFd(c, device, host, inputs, i, j, proj, c.FloatStep);
                }
                // Scale by the gradient's overall size: float FD error is absolute, not relative per entry.
                double scale = Math.Max(ga.Length == 0 ? 0 : ga.Max(Math.Abs), 1e-3);
                double a2 = 0;
                for (int q = 0; q < gotFd.Length; q++) a2 = Math.Max(a2, Math.Abs(gotFd[q] - wantFd[q]));
                dAbs = Math.Max(dAbs, a2); dRel = Math.Max(dRel, a2 / scale);
            }
        }
        string? failure = null;
        if (!(fRel <= c.ForwardTolerance)) failure = $"forward error {fRel:E2} > {c.ForwardTolerance:E0}";
        else if (!(rRel <= c.GradTolerance)) failure = $"gradient vs reference {rRel:E2} > {c.GradTolerance:E0}";
        else if (!(dRel <= c.FdTolerance)) failure = $"gradient vs float finite differences {dRel:E2} > {c.FdTolerance:E0}";
        return new GradCheckResult(c.Op, c.Name, device.Name, fAbs, fRel, rAbs, rRel, dAbs, dRel, failure is null, failure);
    }

    static int[] Sample(int n, int k, Random rng)
    {
        if (n <= k) return Enumerable.Range(0, n).ToArray();
        var set = new SortedSet<int>();
        while (set.Count < k) set.Add(rng.Next(n));
        return set.ToArray();
    }

    static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    static double DoubleFd(GradCheckCase c, double[][] host, int i, int j, double[] proj, double h)
    {
        double keep = host[i][j];
        host[i][j] = keep + h; double up = Dot(c.Reference(host), proj);
        host[i][j] = keep - h; double dn = Dot(c.Reference(host), proj);
        host[i][j] = keep;
        return (up - dn) / (2 * h);
    }

    static double FloatFd(GradCheckCase c, Device device, double[][] host, Tensor[] inputs, int i, int j, double[] proj, double h)
    {
        using var _ = Autograd.NoGrad();
        double Eval(double v)
        {
            using var s = Tensor.Scope();
            var arr = host[i].Select(x => (float)x).ToArray();
            arr[j] = (float)v;
            var args = (Tensor[])inputs.Clone();
            args[i] = Tensor.FromArray(device, arr, c.Shapes[i]);
            var y = c.Forward(args).ToArray();
            double acc = 0;
            for (int q = 0; q < y.Length; q++) acc += y[q] * proj[q];
            return acc;
        }
        double x0 = host[i][j];
        return (Eval(x0 + h) - Eval(x0 - h)) / (2 * h);
    }
}
