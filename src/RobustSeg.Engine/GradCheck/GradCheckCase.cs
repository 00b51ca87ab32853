namespace RobustSeg.Engine.GradChecks;

/// <summary>One gradient-check case: a float op on the device and a double-precision reference of the
/// same forward. The checker compares the forward, the op's gradient against central differences of
/// the double reference (the reference gradient), and against central differences of the float op
/// itself (a coarse, independent check).</summary>
public sealed class GradCheckCase
{
    public required string Op { get; init; }
    public required string Name { get; init; }
    public required int[][] Shapes { get; init; }
    /// <summary>Which inputs get gradients checked (default: all).</summary>
    public bool[]? Differentiable { get; init; }
    /// <summary>Op under test, on device tensors (same order as Shapes).</summary>
    public required Func<Tensor[], Tensor> Forward { get; init; }
    /// <summary>Double reference forward on host arrays (same order as Shapes).</summary>
    public required Func<double[][], double[]> Reference { get; init; }
    /// <summary>Optional input generator (input index, rng) -> value; default uniform [-1, 1].</summary>
    public Func<int, Random, double>? Init { get; init; }
    public double ForwardTolerance { get; init; } = 1e-4;
    public double GradTolerance { get; init; } = 1e-3;
    public double FdTolerance { get; init; } = 5e-2;
    /// <summary>Step of the float finite differences (in input units).</summary>
    public double FloatStep { get; init; } = 1e-2;
    /// <summary>Coordinates sampled per input for the reference-gradient check.</summary>
    public int RefSamples { get; init; } = 64;
    /// <summary>Coordinates sampled per input for the float finite-difference check.</summary>
    public int FdSamples { get; init; } = 12;

    public override string ToString() => $"{Op}/{Name}";
}

public sealed record GradCheckResult(
    string Op, string Case, string Device,
    double ForwardAbs, double ForwardRel,
    double RefAbs, double RefRel,
    double FdAbs, double FdRel,
    bool Passed, string? Failure);

/// <summary>Marks a static method `IEnumerable&lt;GradCheckCase&gt; Name()` that supplies cases; the
/// registry finds them by reflection, so each op family registers its cases in its own file.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GradCheckCasesAttribute : Attribute;
