using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>Instruction sets the host kernels are written for.</summary>
public enum HostSimdPath
{
    /// <summary>Vector&lt;float&gt; without FMA (any hardware).</summary>
    Portable,
    /// <summary>256-bit AVX2 + FMA.</summary>
    Avx2,
    /// <summary>512-bit AVX-512F.</summary>
    Avx512,
}

/// <summary>The host SIMD path, chosen once at start-up: the widest the CPU runs, or the one the environment
/// variable <see cref="EnvVar"/> (auto, avx512, avx2, portable) asks for, so both AVX paths can be measured
/// and tested on an AVX-512 machine. Tests switch paths with <see cref="Use"/>.</summary>
public static class HostSimd
{
    public const string EnvVar = "ROBUSTSEG_SIMD";

    static HostSimdPath? _current;

    /// <summary>The path every host kernel takes now (read once per GEMM call).</summary>
    public static HostSimdPath Current => _current ??= FromEnvironment(Environment.GetEnvironmentVariable(EnvVar));

    public static bool Supported(HostSimdPath p) => p switch
    {
        HostSimdPath.Avx512 => Avx512F.IsSupported && Fma.IsSupported,
        HostSimdPath.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    /// <summary>Every path this CPU can run, widest first.</summary>
    public static IReadOnlyList<HostSimdPath> Available() =>
        new[] { HostSimdPath.Avx512, HostSimdPath.Avx2, HostSimdPath.Portable }.Where(Supported).ToArray();

    /// <summary>The path for a value of <see cref="EnvVar"/>: null, empty or "auto" = the widest supported.</summary>
    public static HostSimdPath FromEnvironment(string? value)
    {
        var v = value?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(v) || v == "auto") return Available()[0];
        HostSimdPath p = v switch
        {
            "avx512" => HostSimdPath.Avx512,
            "avx2" => HostSimdPath.Avx2,
            "portable" => HostSimdPath.Portable,
            _ => throw new UserInputException($"{EnvVar}={value}: expected auto, avx512, avx2 or portable"),
        };
        if (!Supported(p))
            throw new UserInputException($"{EnvVar}={value}: this CPU does not support {p} (supported: {string.Join(", ", Available())})");
        return p;
    }

    /// <summary>Runs host kernels on `path` until disposed (tests compare the paths on one machine).</summary>
    public static IDisposable Use(HostSimdPath path)
    {
        if (!Supported(path)) throw new PlatformNotSupportedException($"host SIMD path {path} is not supported here");
        var prev = Current;
        _current = path;
        return new Restore(prev);
    }

    sealed class Restore(HostSimdPath prev) : IDisposable
    {
        public void Dispose() => _current = prev;
    }
}
