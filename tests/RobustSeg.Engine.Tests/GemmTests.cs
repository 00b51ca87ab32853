using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using RobustSeg.Engine.Cpu;
using RobustSeg.Engine.Ilgpu;
using RobustSeg.Engine.Reference;

namespace RobustSeg.Engine.Tests;

/// <summary>Host SGEMM and the ILGPU GEMM kernels (on ilgpu-cpu) against a double-precision reference:
/// every transpose combination, shapes that are not multiples of any tile, sub-matrices (ld &gt; row
/// length), offsets, batches, alpha/beta, and beta = 0 over NaN garbage in C.</summary>
public class GemmTests
{
    /// <summary>One GEMM problem laid out in flat buffers (each matrix with padding, offsets and batch strides).</summary>
    public sealed record Case(int M, int N, int K, bool TA, bool TB, int Batch = 1, int Pad = 0, int Offset = 0,
        float Alpha = 1f, float Beta = 0f, bool NaNInC = false)
    {
        public override string ToString() =>
            $"{M}x{N}x{K} t{(TA ? 1 : 0)}{(TB ? 1 : 0)} b{Batch} pad{Pad} off{Offset} a{Alpha} b{Beta}{(NaNInC ? " nanC" : "")}";

        public GemmDesc Desc()
        {
            int lda = (TA ? M : K) + Pad, ldb = (TB ? K : N) + Pad, ldc = N + 2 * Pad;
            long sa = (long)(TA ? K : M) * lda + 3 * Pad, sb = (long)(TB ? N : K) * ldb + 5 * Pad, sc = (long)M * ldc + Pad;
            return new GemmDesc
            {
                TransA = TA, TransB = TB, M = M, N = N, K = K, Lda = lda, Ldb = ldb, Ldc = ldc, Batch = Batch,
                OffsetA = Offset, OffsetB = 2 * Offset, OffsetC = 3 * Offset, StrideA = sa, StrideB = sb, StrideC = sc,
                Alpha = Alpha, Beta = Beta,
            };
        }
    }

    static readonly (int M, int N, int K)[] Shapes = [(1, 1, 1), (7, 13, 5), (6, 16, 8), (37, 65, 129), (13, 33, 300)];

    public static IEnumerable<Case> Cases()
    {
        foreach (var (m, n, k) in Shapes)
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        {
            yield return new Case(m, n, k, ta, tb);
            yield return new Case(m, n, k, ta, tb, Batch: 2, Pad: 3, Offset: 5, Alpha: 0.5f, Beta: 0.75f);
            yield return new Case(m, n, k, ta, tb, Batch: 2, Pad: 2, Offset: 1, Alpha: -1.5f, Beta: 0f, NaNInC: true);
        }
    }

    /// <summary>Larger host-only shapes: several K blocks, parallel tasks split over rows and over columns.</summary>
    public static IEnumerable<Case> HostCases()
    {
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        {
            yield return new Case(70, 200, 300, ta, tb, Pad: 1, Offset: 3, Alpha: 1f, Beta: 0.5f);
            yield return new Case(16, 1037, 40, ta, tb, Batch: 2, Pad: 4, Alpha: 2f, Beta: 0f, NaNInC: true);
            yield return new Case(301, 17, 33, ta, tb);
            // N beyond one 4096-column block: shared B blocks (M > 144) and per-task panels (small M).
            yield return new Case(150, 4200, 3, ta, tb, Beta: 0.5f);
            yield return new Case(7, 4500, 9, ta, tb, Pad: 1);
            // Tall parts over several K blocks of every path and several B blocks: both tile orders (A panel or B panel in L1).
            yield return new Case(290, 700, 1100, ta, tb, Pad: 2, Offset: 1, Alpha: 1.5f, Beta: 0.25f);
            // The three task plans: all of A packed once (64 x 600), A per K block (200 x 400), B blocks with
            // row sub-blocks (600 rows); batches that run whole images per core.
            yield return new Case(64, 1000, 600, ta, tb, Batch: 3, Pad: 1, Beta: 0.5f);
            yield return new Case(200, 300, 400, ta, tb, Offset: 2);
            yield return new Case(600, 300, 300, ta, tb, Batch: 2, Alpha: 0.5f, Beta: 0f, NaNInC: true);
        }
    }

    sealed record Buffers(float[] A, float[] B, float[] C0, GemmDesc D);

    static Buffers Make(Case c, int seed)
    {
        var d = c.Desc();
        long la = d.OffsetA + (d.Batch - 1) * d.StrideA + (long)(c.TA ? c.K : c.M) * d.Lda;
        long lb = d.OffsetB + (d.Batch - 1) * d.StrideB + (long)(c.TB ? c.N : c.K) * d.Ldb;
        long lc = d.OffsetC + (d.Batch - 1) * d.StrideC + (long)c.M * d.Ldc;
        var rng = new Random(seed);
        float[] Rand(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var c0 = Rand(lc);
        if (c.NaNInC) Array.Fill(c0, float.NaN);
        return new Buffers(Rand(la), Rand(lb), c0, d);
    }

    /// <summary>Expected C buffer in double: inside each batch's M x N window alpha op(A) op(B) + beta C,
    /// elsewhere untouched. Uses the dense reference on gathered sub-matrices. Also returns, per
    /// element, a tolerance scaled by sum |alpha a b| + |beta c|.</summary>
    static (double[] Y, double[] Tol) Expected(Buffers bu, Case c)
    {
        var d = bu.D;
        var y = bu.C0.Select(v => (double)v).ToArray();
        var tol = new double[y.Length];
        for (int q = 0; q < d.Batch; q++)
        {
            int ar = c.TA ? c.K : c.M, ac = c.TA ? c.M : c.K, br = c.TB ? c.N : c.K, bc = c.TB ? c.K : c.N;
            var a = Gather(bu.A, d.OffsetA + q * d.StrideA, ar, ac, d.Lda);
            var b = Gather(bu.B, d.OffsetB + q * d.StrideB, br, bc, d.Ldb);
            var p = ElementwiseReference.MatMul(a, b, 1, c.M, c.N, c.K, c.TA, c.TB);
            var pa = ElementwiseReference.MatMul(a.Select(Math.Abs).ToArray(), b.Select(Math.Abs).ToArray(), 1, c.M, c.N, c.K, c.TA, c.TB);
            for (int i = 0; i < c.M; i++)
            for (int j = 0; j < c.N; j++)
            {
                long o = d.OffsetC + q * d.StrideC + (long)i * d.Ldc + j;
                double prev = bu.C0[o];
                y[o] = c.Beta == 0f ? c.Alpha * p[i * c.N + j] : c.Alpha * p[i * c.N + j] + c.Beta * prev;
                tol[o] = 1e-5 * (Math.Abs(c.Alpha) * pa[i * c.N + j] + (c.Beta == 0f ? 0 : Math.Abs(c.Beta * prev))) + 1e-6;
            }
        }
        return (y, tol);
    }

    static double[] Gather(float[] x, long offset, int rows, int cols, int ld)
    {
        var r = new double[rows * cols];
        for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) r[i * cols + j] = x[offset + (long)i * ld + j];
        return r;
    }

    static void Check(float[] got, Buffers bu, Case c, string what)
    {
        var (y, tol) = Expected(bu, c);
        Assert.That(got, Has.Length.EqualTo(y.Length));
        for (int i = 0; i < y.Length; i++)
        {
            bool ok = double.IsNaN(y[i]) ? float.IsNaN(got[i]) : Math.Abs(got[i] - y[i]) <= tol[i];
            if (!ok) Assert.Fail($"{what} {c}: element {i}: got {got[i]}, expected {y[i]} (tol {tol[i]:E2})");
        }
    }

    static float[] RunHost(Buffers bu)
    {
        var d = bu.D;
        var a = (float[])bu.A.Clone();
        var b = (float[])bu.B.Clone();
        var c = (float[])bu.C0.Clone();
        unsafe
        {
            fixed (float* pa = a, pb = b, pc = c)
                HostGemm.SgemmBatched(d.Batch, d.TransA, d.TransB, d.M, d.N, d.K, d.Alpha, pa + d.OffsetA, d.Lda, d.StrideA,
                    pb + d.OffsetB, d.Ldb, d.StrideB, d.Beta, pc + d.OffsetC, d.Ldc, d.StrideC);
        }
        Assert.That(a, Is.EqualTo(bu.A), "A was modified");
        Assert.That(b, Is.EqualTo(bu.B), "B was modified");
        return c;
    }

    static float[] RunBackend(Device dev, Buffers bu, Action<GemmDesc, Tensor, Tensor, Tensor> gemm)
    {
        using var s = Tensor.Scope();
        var a = Tensor.FromArray(dev, bu.A, bu.A.Length);
        var b = Tensor.FromArray(dev, bu.B, bu.B.Length);
        var c = Tensor.FromArray(dev, bu.C0, bu.C0.Length);
        gemm(bu.D, a, b, c);
        return c.ToArray();
    }

    static IEnumerable<TestCaseData> Named(IEnumerable<Case> cases) => cases.Select(c => new TestCaseData(c).SetArgDisplayNames(c.ToString()));
    static IEnumerable<TestCaseData> AllCases() => Named(Cases());
    static IEnumerable<TestCaseData> AllHostCases() => Named(Cases().Concat(HostCases()));

    /// <summary>Every host SIMD path this CPU runs (AVX-512, AVX2, portable): each has its own micro-kernel and tile shape.</summary>
    static IEnumerable<HostSimdPath> Paths() => HostSimd.Available();

    static IEnumerable<TestCaseData> HostCasesPerPath() =>
        from p in Paths() from c in Cases().Concat(HostCases())
        select new TestCaseData(p, c).SetArgDisplayNames(p.ToString(), c.ToString());

    /// <summary>B's full panels packed by the first row panel's tiles as they multiply (HostGemm.FusePackB, the tall parts'
    /// A-in-L1 order): the same bits as the block packed first, and the double product, for a partly filled last panel,
    /// several K blocks and a K tail, on one thread (M = 300: the tall path) and all cores.</summary>
    [NonParallelizable]
    [TestCase(300, 70, 1100), TestCase(600, 290, 530), TestCase(300, 33, 600)]
    public void PackingBInTheFirstRowPanelGivesTheSameBits(int m, int n, int k)
    {
        var rng = new Random(m * 7 + n + k);
        float[] Rand(int count) => Enumerable.Range(0, count).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var a = Rand(m * k);
        var b = Rand(k * n);
        var want = new double[m * n];
        for (int i = 0; i < m; i++)
        for (int p = 0; p < k; p++)
        for (int q = 0; q < n; q++)
            want[i * n + q] += (double)a[i * k + p] * b[p * n + q];
        int cores = HostParallel.Cores;
        foreach (int threads in new[] { 1, cores }.Distinct())
        foreach (var path in Paths())
        {
            var got = new float[2][];
            for (int fused = 0; fused < 2; fused++)
            {
                bool keep = HostGemm.FusePackB;
                HostGemm.FusePackB = fused == 1;
                HostParallel.SetThreads(threads);
                var c = new float[m * n];
                try
                {
                    using (HostSimd.Use(path))
                    unsafe
                    {
                        fixed (float* pa = a, pb = b, pc = c) HostGemm.Sgemm(false, false, m, n, k, 1f, pa, k, pb, n, 0f, pc, n);
                    }
                }
                finally { HostGemm.FusePackB = keep; HostParallel.SetThreads(cores); }
                got[fused] = c;
            }
            Assert.That(got[1], Is.EqualTo(got[0]), $"{path}, {threads} thread(s): B packed by the first row panel differs");
            double err = 0;
            for (int i = 0; i < want.Length; i++) err = Math.Max(err, Math.Abs(got[1][i] - want[i]));
            Assert.That(err, Is.LessThan(1e-3), $"{path}, {threads} thread(s): vs the double product");
        }
    }

    /// <summary>A weight shared by a batch's GEMMs (stride 0) is packed once per thread and reused by its later tasks
    /// (HostGemm.ShareA): the same bits as each task packing its own, for parts under and over the L2 row budget, several
    /// K blocks and a K tail; and a second call with another A of the same shape (the threads' copies of the first
    /// would be stale) gives its own product.</summary>
    [NonParallelizable]
    [TestCase(40, 70, 600, false), TestCase(300, 70, 1100, false), TestCase(40, 290, 600, true), TestCase(300, 33, 530, true)]
    public void ThreadPackedAGivesTheSameBits(int m, int n, int k, bool transA)
    {
        const int batch = 3;
        var rng = new Random(m + n + k);
        float[] Rand(int count) => Enumerable.Range(0, count).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var As = new[] { Rand(m * k), Rand(m * k) };
        var b = Rand(batch * k * n);
        int cores = HostParallel.Cores;
        // One thread too: there a part holds all of M, so M = 300 takes the tall path (more than 256 rows).
        foreach (int threads in new[] { 1, cores }.Distinct())
        foreach (var path in Paths())
        {
            var got = new float[2, 2][];
            for (int shared = 0; shared < 2; shared++)
            for (int call = 0; call < 2; call++)
            {
                bool keep = HostGemm.ShareA;
                HostGemm.ShareA = shared == 1;
                HostParallel.SetThreads(threads);
                var c = new float[batch * m * n];
                try
                {
                    using (HostSimd.Use(path))
                    unsafe
                    {
                        fixed (float* pa = As[call], pb = b, pc = c)
                            HostGemm.SgemmBatched(batch, transA, false, m, n, k, 1f, pa, transA ? m : k, 0, pb, n, (long)k * n, 0f, pc, n, (long)m * n);
                    }
                }
                finally { HostGemm.ShareA = keep; HostParallel.SetThreads(cores); }
                got[shared, call] = c;
            }
            for (int call = 0; call < 2; call++)
            {
                Assert.That(got[1, call], Is.EqualTo(got[0, call]), $"{path}, {threads} thread(s), call {call}: the thread-packed A differs");
                Assert.That(got[1, call].Any(v => v != 0f), Is.True);
            }
            Assert.That(got[1, 1], Is.Not.EqualTo(got[1, 0]), $"{path}, {threads} thread(s): the second call reused the first's A");
        }
    }

    [TestCaseSource(nameof(HostCasesPerPath)), NonParallelizable]
    public void HostSgemmMatchesReference(HostSimdPath path, Case c)
    {
        var bu = Make(c, 1);
        using (HostSimd.Use(path)) Check(RunHost(bu), bu, c, $"host {path}");
    }

    static IEnumerable<TestCaseData> TallCasesPerPath() =>
        from p in Paths()
        from c in new[]
        {
            new Case(1600, 260, 530, false, false, Offset: 1, Beta: 0.5f),
            new Case(1600, 260, 530, true, true, Pad: 1, Alpha: 0.5f, Beta: 0f, NaNInC: true),
        }
        select new TestCaseData(p, c).SetArgDisplayNames(p.ToString(), c.ToString());

    [TestCaseSource(nameof(TallCasesPerPath)), NonParallelizable]
    public void HostSgemmTallerThanOneSubBlockMatchesReference(HostSimdPath path, Case c)
    {
        // On one thread C is one part, taller than the AVX-512 sub-block (1536 rows; on more cores the task grid cuts
        // it finer): A packed per sub-block and K block, two B blocks against each.
        var bu = Make(c, 9);
        int cores = HostParallel.Cores;
        HostParallel.SetThreads(1);
        try { using (HostSimd.Use(path)) Check(RunHost(bu), bu, c, $"host {path}, one thread"); }
        finally { HostParallel.SetThreads(cores); }
    }

    static IEnumerable<TestCaseData> SumCasesPerPath() =>
        from p in Paths()
        from c in new[]
        {
            new Case(37, 300, 129, false, true, Batch: 3, Pad: 2, Offset: 1, Alpha: 0.5f, Beta: 0.25f),
            new Case(300, 70, 600, false, true, Batch: 4, Alpha: 1f, Beta: 0f),
            new Case(20, 45, 1100, true, false, Batch: 2, Pad: 1, Beta: 1f),
        }
        select new TestCaseData(p, c).SetArgDisplayNames(p.ToString(), c.ToString());

    [TestCaseSource(nameof(SumCasesPerPath)), NonParallelizable]
    public unsafe void HostSgemmSumEqualsTheLoopOfGemmsBitwise(HostSimdPath path, Case c)
    {
        // One region summing the images must give exactly what the loop of GEMMs (beta, then 1) gives.
        var bu = Make(c, 10);
        var d = bu.D;
        var sum = (float[])bu.C0.Clone();
        var loop = (float[])bu.C0.Clone();
        using (HostSimd.Use(path))
        fixed (float* pa = bu.A, pb = bu.B, ps = sum, pl = loop)
        {
            HostGemm.SgemmSum(d.Batch, d.TransA, d.TransB, d.M, d.N, d.K, d.Alpha, pa + d.OffsetA, d.Lda, d.StrideA,
                pb + d.OffsetB, d.Ldb, d.StrideB, d.Beta, ps + d.OffsetC, d.Ldc);
            for (int i = 0; i < d.Batch; i++)
                HostGemm.Sgemm(d.TransA, d.TransB, d.M, d.N, d.K, d.Alpha, pa + d.OffsetA + i * d.StrideA, d.Lda,
                    pb + d.OffsetB + i * d.StrideB, d.Ldb, i == 0 ? d.Beta : 1f, pl + d.OffsetC, d.Ldc);
        }
        Assert.That(sum, Is.EqualTo(loop));
        Assert.That(sum, Is.Not.EqualTo(bu.C0), "the sum wrote nothing");
    }

    [Test]
    public void EachSimdPathSelectsItsOwnMicroKernelShape()
    {
        // A path switch must reach the GEMM: the tile shapes differ, so a silent fallback would show here.
        var shapes = Paths().Select(p => HostGemm.ShapeFor(p)).ToList();
        Assert.That(shapes.Select(s => s.Path), Is.EqualTo(Paths()));
        // AVX-512: 12-row tiles, 8-row ones where 12 would pad many rows (the cases above run both).
        Assert.That(HostGemm.ShapeFor(HostSimdPath.Avx512, 512), Is.EqualTo(new HostGemm.MicroShape(HostSimdPath.Avx512, 12, 32, 512, 1536, 256, true)));
        Assert.That(HostGemm.ShapeFor(HostSimdPath.Avx512, 64).Mr, Is.EqualTo(8));
        Assert.That(HostGemm.ShapeFor(HostSimdPath.Avx512, 64, inPlaceB: true).Mr, Is.EqualTo(12), "a direct conv's 64 rows: 12.5 % waste");
        Assert.That(HostGemm.ShapeFor(HostSimdPath.Avx512, 40, inPlaceB: true).Mr, Is.EqualTo(8), "40 rows on 12: 20 % waste");
        Assert.That(HostGemm.ShapeFor(HostSimdPath.Avx512, 37).Mr, Is.EqualTo(8));
        Assert.That(HostGemm.ShapeFor(HostSimdPath.Avx512, 70).Mr, Is.EqualTo(12));
        Assert.That(HostGemm.ShapeFor(HostSimdPath.Avx2).Nr, Is.EqualTo(16));
    }

    [TestCase(null), TestCase(""), TestCase("auto")]
    public void SimdAutoPicksTheWidestPath(string? value) =>
        Assert.That(HostSimd.FromEnvironment(value), Is.EqualTo(HostSimd.Available()[0]));

    [Test]
    public void SimdEnvironmentValueIsParsedOrRejectedByName()
    {
        Assert.That(HostSimd.FromEnvironment("portable"), Is.EqualTo(HostSimdPath.Portable));
        if (HostSimd.Supported(HostSimdPath.Avx2)) Assert.That(HostSimd.FromEnvironment(" AVX2 "), Is.EqualTo(HostSimdPath.Avx2));
        var ex = Assert.Throws<UserInputException>(() => HostSimd.FromEnvironment("sse9"));
        Assert.That(ex!.Message, Does.Contain("ROBUSTSEG_SIMD=sse9").And.Contain("avx512, avx2 or portable"));
        if (!HostSimd.Supported(HostSimdPath.Avx512))
            Assert.That(() => HostSimd.FromEnvironment("avx512"), Throws.TypeOf<UserInputException>().With.Message.Contain("does not support"));
    }

    [TestCaseSource(nameof(AllCases))]
    public void CpuBackendGemmMatchesReference(Case c)
    {
        var bu = Make(c, 3);
        var dev = Device.Get("cpu");
        Check(RunBackend(dev, bu, (d, a, b, y) => dev.Backend.Gemm(d, a, b, y)), bu, c, "cpu backend");
    }

    [TestCaseSource(nameof(AllCases))]
    public void IlgpuTiledKernelGroup1MatchesReference(Case c)
    {
        var bu = Make(c, 4);
        var dev = Device.Get("ilgpu-cpu");
        var be = (IlgpuBackend)dev.Backend;
        Check(RunBackend(dev, bu, (d, a, b, y) => be.GemmTiled(d, a, b, y, 1, 1)), bu, c, "tiled 1x1");
    }

    [TestCaseSource(nameof(AllCases))]
    public void IlgpuTiledKernelGroup2MatchesReference(Case c)
    {
        // Groups of 2 threads (the CPU accelerator's maximum) in both orientations: shared tile loads
        // and the strided ownership of outputs are split between threads.
        var bu = Make(c, 5);
        var dev = Device.Get("ilgpu-cpu");
        var be = (IlgpuBackend)dev.Backend;
        Check(RunBackend(dev, bu, (d, a, b, y) => be.GemmTiled(d, a, b, y, 2, 1)), bu, c, "tiled 2x1");
        Check(RunBackend(dev, bu, (d, a, b, y) => be.GemmTiled(d, a, b, y, 1, 2)), bu, c, "tiled 1x2");
    }

    [TestCaseSource(nameof(AllCases))]
    public void IlgpuStripKernelMatchesReference(Case c)
    {
        var bu = Make(c, 6);
        var dev = Device.Get("ilgpu-cpu");
        var be = (IlgpuBackend)dev.Backend;
        Check(RunBackend(dev, bu, (d, a, b, y) => be.GemmStrip(d, a, b, y)), bu, c, "strip");
    }

    /// <summary>The CUDA launch shape (16x16 groups, 64x64 tiles, all 256 threads sharing the tile
    /// loads) on a CPU accelerator simulating 256 threads per group. Slow (an OS thread per simulated
    /// thread), so one accelerator and two cases: NN and TT cover all four tile-load branches.</summary>
    [Test]
    public void IlgpuTiledKernelWithCudaGroupShapeMatchesReference()
    {
        using var ctx = Context.Create(b => b.CPU(new CPUDevice(16, 16, 1)).Optimize(OptimizationLevel.O1));
        using var acc = ((CPUDevice)ctx.Devices.First(x => x.AcceleratorType == AcceleratorType.CPU)).CreateCPUAccelerator(ctx);
        var kernel = acc.LoadStreamKernel<RobustSeg.Kernels.GemmArgs>(RobustSeg.Kernels.GemmKernels.Tiled);
        foreach (bool t in new[] { false, true })
        {
            var c = new Case(70, 67, 21, t, t, Batch: 2, Pad: 3, Offset: 2, Alpha: 0.5f, Beta: 0.25f);
            var bu = Make(c, 8);
            var d = bu.D;
            using var ba = acc.Allocate1D(bu.A);
            using var bb = acc.Allocate1D(bu.B);
            using var bc = acc.Allocate1D(bu.C0);
            var args = new RobustSeg.Kernels.GemmArgs
            {
                A = ba.View, B = bb.View, C = bc.View, M = d.M, N = d.N, K = d.K, Lda = d.Lda, Ldb = d.Ldb, Ldc = d.Ldc,
                TransA = t ? 1 : 0, TransB = t ? 1 : 0, Batch = d.Batch, OffA = d.OffsetA, OffB = d.OffsetB, OffC = d.OffsetC,
                StrideA = d.StrideA, StrideB = d.StrideB, StrideC = d.StrideC, Alpha = d.Alpha, Beta = d.Beta,
            };
            const int g = RobustSeg.Kernels.GemmKernels.MaxGroupDim, tile = g * RobustSeg.Kernels.GemmKernels.Reg;
            kernel(new KernelConfig(new Index3D((d.N + tile - 1) / tile, (d.M + tile - 1) / tile, d.Batch), new Index3D(g, g, 1)), args);
            acc.Synchronize();
            Check(bc.GetAsArray1D(), bu, c, "tiled 16x16");
        }
    }

    [Test]
    public void IlgpuBackendGemmCountsOneLaunch()
    {
        var c = new Case(7, 13, 5, false, true);
        var bu = Make(c, 7);
        var dev = Device.Get("ilgpu-cpu");
        long before = dev.Kernels.LaunchCounts.GetValueOrDefault("gemm");
        Check(RunBackend(dev, bu, (d, a, b, y) => dev.Backend.Gemm(d, a, b, y)), bu, c, "ilgpu backend");
        Assert.That(dev.Kernels.LaunchCounts["gemm"] - before, Is.EqualTo(1));
    }

    [Test]
    public void TiledKernelRejectsOversizedGroups()
    {
        var dev = Device.Get("ilgpu-cpu");
        var be = (IlgpuBackend)dev.Backend;
        using var s = Tensor.Scope();
        var t = Tensor.Zeros(dev, 16);
        var ex = Assert.Throws<ArgumentException>(() => be.GemmTiled(GemmDesc.Dense(4, 4, 1), t, t, t, 16, 16));
        Assert.That(ex!.Message, Does.Contain("16x16"));
    }

    [Test]
    public void HostBatchedSgemmIntoOneOutputAccumulatesInOrder()
    {
        // strideC = 0: every image adds into the same C (beta = 1), which must not run images concurrently.
        const int m = 40, n = 300, k = 50, batch = 3;
        var rng = new Random(4);
        float[] a = Enumerable.Range(0, batch * m * k).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] b = Enumerable.Range(0, batch * k * n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var c = new float[m * n];
        var want = new double[m * n];
        for (int q = 0; q < batch; q++)
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        for (int p = 0; p < k; p++) want[i * n + j] += (double)a[q * m * k + i * k + p] * b[q * k * n + p * n + j];
        unsafe
        {
            fixed (float* pa = a, pb = b, pc = c)
                HostGemm.SgemmBatched(batch, false, false, m, n, k, 1f, pa, k, m * k, pb, n, k * n, 1f, pc, n, 0);
        }
        for (int i = 0; i < c.Length; i++) Assert.That(c[i], Is.EqualTo(want[i]).Within(1e-4), $"element {i}");
    }

    [Test]
    public void HostSgemmWithKZeroScalesC()
    {
        var c = new[] { 1f, 2f, 3f, float.NaN };
        unsafe
        {
            fixed (float* pc = c)
            {
                HostGemm.Sgemm(false, false, 1, 2, 0, 1f, null, 0, null, 2, 0.5f, pc, 2);
                HostGemm.Sgemm(false, false, 1, 2, 0, 1f, null, 0, null, 2, 0f, pc + 2, 2);
            }
        }
        Assert.That(c, Is.EqualTo(new[] { 0.5f, 1f, 0f, 0f }));
    }

    /// <summary>A window C (<see cref="HostGemm.SgemmBatchedWindow"/>, a tap's rectangle of an output plane): every column
    /// lands in its row run, the gaps between runs keep what they held (NaN), beta 0 never reads C and beta 0.5 does;
    /// over two K blocks on AVX-512 (three on AVX2), A plain and transposed, a batch of 2, on every path and 1 or all cores.</summary>
    [Test, NonParallelizable]
    public unsafe void WindowCGetsEachColumnInItsRowRunAndLeavesTheGaps()
    {
        const int m = 40, k = 600, h = 5, wImg = 10, n = h * wImg, width = 7, rowStride = 11, batch = 2, ldc = 90;
        var rng = new Random(77);
        float[] Rand(int count) => Enumerable.Range(0, count).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var a = Rand(m * k);
        var x = Rand(batch * k * n);
        var c0 = Rand(batch * m * ldc);
        // B_i (k x n) is image i's 1x1 "im2col": B_i(p, q) = x[i k n + p n + q].
        var geom = new Conv2dGeom(1, k, h, wImg, m, 1, 1, 1, 0, 1, h, wImg);
        static int At(int q) => q / width * rowStride + q % width;
        var inWindow = new bool[ldc];
        for (int q = 0; q < n; q++) inWindow[At(q)] = true;
        int cores = HostParallel.Cores;
        foreach (var path in Paths())
        foreach (int threads in new[] { 1, cores }.Distinct())
        foreach (bool transA in new[] { false, true })
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 0.25f) })
        {
            // A stored k x m when transposed.
            var at = transA ? Enumerable.Range(0, k * m).Select(i => a[i % m * k + i / m]).ToArray() : a;
            var c = c0.Select((v, i) => inWindow[i % ldc] && beta != 0f ? v : float.NaN).ToArray();
            HostParallel.SetThreads(threads);
            try
            {
                using (HostSimd.Use(path))
                fixed (float* pa = at, px = x, pc = c)
                    HostGemm.SgemmBatchedWindow(batch, transA, m, n, k, alpha, pa, transA ? m : k, 0, new ImplicitCols(px, geom, 0),
                        (long)k * n, beta, pc, ldc, (long)m * ldc, width, rowStride);
            }
            finally { HostParallel.SetThreads(cores); }
            string what = $"{path}, {threads} thread(s), transA {transA}, beta {beta}";
            for (int i = 0; i < batch; i++)
            for (int r = 0; r < m; r++)
            {
                for (int q = 0; q < n; q++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++) sum += (double)a[r * k + p] * x[(long)i * k * n + p * n + q];
                    long e = ((long)i * m + r) * ldc + At(q);
                    double want = alpha * sum + beta * (beta != 0f ? c0[e] : 0);
                    Assert.That(c[e], Is.EqualTo(want).Within(1e-4 + 1e-5 * Math.Abs(want)), $"{what}: C[{i}, {r}, column {q}]");
                }
                for (int g = 0; g < ldc; g++)
                    if (!inWindow[g]) Assert.That(float.IsNaN(c[((long)i * m + r) * ldc + g]), Is.True, $"{what}: gap {g} of row {r} written");
            }
        }
        // Both images into one window (stride 0: an accumulation, the images in order), beta 1: C += A B_0 + A B_1.
        var one = c0.Take(m * ldc).Select((v, e) => inWindow[e % ldc] ? v : float.NaN).ToArray();
        fixed (float* pa = a, px = x, pc = one)
            HostGemm.SgemmBatchedWindow(batch, false, m, n, k, 1f, pa, k, 0, new ImplicitCols(px, geom, 0), (long)k * n, 1f, pc, ldc, 0, width, rowStride);
        for (int r = 0; r < m; r++)
        for (int q = 0; q < n; q++)
        {
            double want = c0[r * ldc + At(q)];
            for (int i = 0; i < batch; i++)
            for (int p = 0; p < k; p++) want += (double)a[r * k + p] * x[(long)i * k * n + p * n + q];
            Assert.That(one[r * ldc + At(q)], Is.EqualTo(want).Within(1e-4 + 1e-5 * Math.Abs(want)), $"one window: C[{r}, column {q}]");
        }
        Assert.That(Enumerable.Range(0, m * ldc).Where(e => !inWindow[e % ldc]).All(e => float.IsNaN(one[e])), Is.True, "one window: a gap written");
        // alpha 0: the window scaled by beta, run by run, nothing multiplied; the gaps still untouched.
        var scaled = c0.Take(m * ldc).Select((v, e) => inWindow[e % ldc] ? v : float.NaN).ToArray();
        fixed (float* pa = a, px = x, pc = scaled)
            HostGemm.SgemmBatchedWindow(1, false, m, n, k, 0f, pa, k, 0, new ImplicitCols(px, geom, 0), 0, 0.5f, pc, ldc, 0, width, rowStride);
        for (int e = 0; e < m * ldc; e++)
            if (inWindow[e % ldc]) Assert.That(scaled[e], Is.EqualTo(0.5f * c0[e]), $"alpha 0: C element {e}");
            else Assert.That(float.IsNaN(scaled[e]), Is.True, $"alpha 0: gap element {e} written");
    }
}
