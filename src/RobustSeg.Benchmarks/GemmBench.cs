using RobustSeg.Engine;
using RobustSeg.Engine.Cpu;

namespace RobustSeg.Benchmarks;

/// <summary>`robustseg bench gemm`: one row-major SGEMM C = op(A) op(B) through the device backend
/// (host packed SIMD kernel on `cpu`, ILGPU kernels elsewhere); 2 M N K flops per run.</summary>
public sealed class GemmBench : IBenchSuite
{
    public string Name => "gemm";
    public string Description => "Single-precision GEMM C = op(A) op(B) (row-major) on the chosen device";

    public IReadOnlyList<BenchOption> Options { get; } =
    [
        new("m", "1024", "rows of op(A) and C"),
        new("n", "1024", "columns of op(B) and C"),
        new("k", "1024", "inner dimension"),
        new("transa", "0", "1: A is stored K x M"),
        new("transb", "0", "1: B is stored N x K"),
        new("batch", "1", "independent GEMMs of this shape in one call (on the host, at least as many as cores run whole, one per core)"),
        new("vs-peak", "false", "cpu: alternate 5 GEMM measurements with 5 FMA peak probes and report the median paired fraction of peak (robust on a noisy machine)", Flag: true),
        BenchOption.Serve("GEMM", "a paired comparison"),
    ];

    public IEnumerable<BenchRow> Run(BenchContext ctx)
    {
        if (ctx.Serving(1, "GEMM", "m"))
        {
            using var scope = Tensor.Scope();
            var (run, _, _, _) = Prepare(ctx);
            ctx.Serve(run);
            yield break;
        }
        if (!ctx.Flag("vs-peak")) { yield return Measure(ctx); yield break; }
        if (ctx.Device.Kind != DeviceKind.Cpu) throw new UserInputException("bench gemm --vs-peak compares with the host FMA peak: use --device cpu");
        // The peak of the instruction set the GEMM runs (ROBUSTSEG_SIMD=avx2 on an AVX-512 host: 256-bit).
        int width = HostSimd.Current switch { HostSimdPath.Avx512 => 512, HostSimdPath.Avx2 => 256, _ => 0 };
        if (width == 0) throw new UserInputException("bench gemm --vs-peak: the host GEMM runs the portable path (no FMA), so there is no FMA peak to compare with");
        int threads = Environment.ProcessorCount;
        var fractions = new List<double>();
        for (int round = 0; round < 5; round++)
        {
            var peak = PeakProbe.Measure(width, threads, 0.3);
            var row = Measure(ctx);
            fractions.Add(row.Gflops!.Value / peak.Gflops);
            yield return BenchRow.From("peak", ctx.Device.Name, $"fma{width}_x{PeakProbe.Chains}_t{threads}", peak.Stats, flops: peak.FlopsPerRound);
            yield return row;
        }
        fractions.Sort();
        ctx.Log(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"gemm: {fractions[2]:F3} of the measured {width}-bit FMA peak (median of 5 paired runs; range {fractions[0]:F3}-{fractions[^1]:F3})"));
    }

    static BenchRow Measure(BenchContext ctx)
    {
        using var scope = Tensor.Scope();
        var (run, shape, flops, bytes) = Prepare(ctx);
        return BenchRow.From("gemm", ctx.Device.Name, shape, BenchRunner.Measure(run, ctx.Sync), flops: flops, bytes: bytes);
    }

    /// <summary>The GEMM of the options as one run (its operands live in the caller's scope), its shape's name, its flops
    /// and the bytes of its operands.</summary>
    static (Action Run, string Shape, double Flops, double Bytes) Prepare(BenchContext ctx)
    {
        int m = ctx.Int("m"), n = ctx.Int("n"), k = ctx.Int("k"), batch = ctx.Int("batch");
        bool ta = Flag(ctx, "transa"), tb = Flag(ctx, "transb");
        if (m <= 0 || n <= 0 || k <= 0) throw new UserInputException($"bench gemm: --m, --n, --k must be positive, got {m}, {n}, {k}");
        if (batch <= 0) throw new UserInputException($"bench gemm: --batch must be positive, got {batch}");
        var dev = ctx.Device;
        var a = F.RandUniform(dev, 1, -1f, 1f, ta ? [batch, k, m] : [batch, m, k]);
        var b = F.RandUniform(dev, 2, -1f, 1f, tb ? [batch, n, k] : [batch, k, n]);
        var c = Tensor.Empty(dev, batch, m, n);
        var desc = GemmDesc.Dense(m, n, k, ta, tb);
        desc.Batch = batch;
        ctx.Log($"gemm {m}x{n}x{k} transa={(ta ? 1 : 0)} transb={(tb ? 1 : 0)}{(batch > 1 ? $" batch={batch}" : "")} on {dev.Name}");
        return (() => dev.Backend.Gemm(desc, a, b, c), $"{(batch > 1 ? $"{batch}x" : "")}{m}x{n}x{k}{(ta ? "_tA" : "")}{(tb ? "_tB" : "")}",
            2.0 * batch * m * n * k, 4.0 * batch * ((double)m * k + (double)k * n + (double)m * n));
    }

    static bool Flag(BenchContext ctx, string name) => ctx.Int(name) switch
    {
        0 => false,
        1 => true,
        var v => throw new UserInputException($"bench gemm: --{name} must be 0 or 1, got {v}"),
    };
}
