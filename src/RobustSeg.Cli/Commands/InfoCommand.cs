using System.CommandLine;
using RobustSeg.Benchmarks;
using RobustSeg.Engine;
using RobustSeg.Engine.Cpu;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg info`: the host SIMD path and FMA peak, the devices ILGPU finds and which one `auto` picks.</summary>
public sealed class InfoCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("info", "List the compute devices found and the one `--device auto` picks");
        cmd.SetAction(_ =>
        {
            Console.WriteLine($"RobustSeg on .NET {Environment.Version}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            Console.WriteLine($"SIMD: Vector<float> {System.Numerics.Vector<float>.Count} lanes, AVX2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}, FMA {System.Runtime.Intrinsics.X86.Fma.IsSupported}, AVX-512F {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}");
            Console.WriteLine($"host SIMD: {HostGemm.SimdPath}");
            Console.WriteLine($"host fp32 FMA peak: {PeakLine()}");
            Console.WriteLine("devices:");
            foreach (var kind in new[] { DeviceKind.Cpu, DeviceKind.IlgpuCpu, DeviceKind.Cuda })
            {
                try
                {
                    if (kind == DeviceKind.Cuda && !Device.CudaAvailable())
                    {
                        Console.WriteLine("  cuda: not available (no CUDA device or driver found)");
                        continue;
                    }
                    var d = Device.Get(kind);
                    Console.WriteLine("  " + d.Describe());
                }
                catch (Exception e) { Console.WriteLine($"  {kind}: unavailable ({e.Message})"); }
            }
            Console.WriteLine($"auto picks: {(Device.CudaAvailable() ? "cuda" : "cpu")}");
            return 0;
        });
        return cmd;
    }

    /// <summary>A short (~0.2 s in all) <see cref="PeakProbe"/> per vector width; `bench peak` measures longer.</summary>
    static string PeakLine()
    {
        var widths = PeakProbe.Widths();
        if (widths.Count == 0) return "n/a (no x86 FMA)";
        int threads = Environment.ProcessorCount;
        var parts = widths.Select(w => $"{PeakProbe.Measure(w, threads, 0.2 / widths.Count).Gflops:0.0} GFLOP/s ({w}-bit)");
        return $"{string.Join(", ", parts)} on {threads} threads";
    }
}
