using RobustSeg.Engine;

namespace RobustSeg.Benchmarks;

/// <summary>`robustseg bench peak`: the host's fp32 FMA peak (GFLOP/s) per vector width, all threads in
/// parallel; the ceiling against which `bench gemm --device cpu` is read. Host-only: `--device` is ignored.</summary>
public sealed class PeakBench : IBenchSuite
{
    public string Name => "peak";
    public string Description => "Host fp32 FMA peak (12 independent FMA chains per thread, 256-bit and, with AVX-512F, 512-bit)";

    public IReadOnlyList<BenchOption> Options { get; } =
    [
        new("seconds", "0.5", "time per vector width"),
        new("threads", "0", "threads (0: one per core, Environment.ProcessorCount)"),
    ];

    public IEnumerable<BenchRow> Run(BenchContext ctx)
    {
        double seconds = ctx.Double("seconds");
        int threads = ctx.Int("threads");
        if (!(seconds > 0) || seconds > 600) throw new UserInputException($"bench peak: --seconds must be in (0, 600], got {ctx.Get("seconds")}");
        if (threads < 0) throw new UserInputException($"bench peak: --threads must be >= 0, got {threads}");
        if (threads == 0) threads = Environment.ProcessorCount;
        if (ctx.Device.Kind != DeviceKind.Cpu) ctx.Log($"bench peak measures the host CPU; --device {ctx.Device.Name} is ignored");
        var widths = PeakProbe.Widths();
        if (widths.Count == 0) ctx.Log("bench peak: no x86 FMA on this host, nothing to measure");
        foreach (var width in widths)
        {
            var r = PeakProbe.Measure(width, threads, seconds);
            ctx.Log($"fp32 FMA peak, {width}-bit: {r.Gflops:0.0} GFLOP/s on {threads} threads ({PeakProbe.Chains} chains per thread, 2 flops per lane per FMA)");
            yield return BenchRow.From("peak", "cpu", $"fma{width}_x{PeakProbe.Chains}_t{threads}", r.Stats, flops: r.FlopsPerRound);
        }
    }
}
