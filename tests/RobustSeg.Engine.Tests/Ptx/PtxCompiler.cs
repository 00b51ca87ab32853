using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace RobustSeg.Engine.Tests.Ptx;

/// <summary>Compiles kernels to PTX with ILGPU's PTX backend alone: no CUDA driver or GPU is needed
/// (nvvmAPI null: ILGPU's own PTX code generator). Same context options as the engine's CUDA device
/// (Device.cs: O2, algorithms enabled).</summary>
public sealed partial class PtxCompiler : IDisposable
{
    readonly Context _context;
    readonly PTXBackend _backend;

    public PtxCompiler(CudaArchitecture arch)
    {
        _context = Context.Create(b => b.Optimize(OptimizationLevel.O2).EnableAlgorithms());
        _backend = new PTXBackend(_context, new CudaCapabilityContext(arch), arch, CudaInstructionSet.ISA_80, nvvmAPI: null);
    }

    public sealed record Result(string Ptx, string Target, IReadOnlyList<SharedDecl> Shared);
    public sealed record SharedDecl(string Name, int Bytes, int Align);

    public Result Compile(KernelEnumerator.KernelEntry kernel)
    {
        var entry = kernel.Explicit
            ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method)
            : EntryPointDescription.FromImplicitlyGroupedKernel(kernel.Method);
        var compiled = (PTXCompiledKernel)_backend.Compile(entry, KernelSpecialization.Empty);
        string ptx = compiled.PTXAssembly;
        var target = TargetRegex().Match(ptx);
        var shared = SharedRegex().Matches(ptx)
            .Select(m => new SharedDecl(m.Groups["name"].Value, int.Parse(m.Groups["bytes"].Value), int.Parse(m.Groups["align"].Value)))
            .ToList();
        return new Result(ptx, target.Success ? target.Groups[1].Value : "", shared);
    }

    // e.g. ".shared .align 4 .b8 __shared_alloca_12[4160];"
    [GeneratedRegex(@"\.shared\s+\.align\s+(?<align>\d+)\s+\.b8\s+(?<name>[\w$]+)\[(?<bytes>\d+)\]")]
    private static partial Regex SharedRegex();

    [GeneratedRegex(@"^\s*\.target\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex TargetRegex();

    public void Dispose()
    {
        _backend.Dispose();
        _context.Dispose();
    }
}
