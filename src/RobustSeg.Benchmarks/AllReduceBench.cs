using System.Globalization;
using RobustSeg.Distributed;
using RobustSeg.Engine;

namespace RobustSeg.Benchmarks;

/// <summary>`robustseg bench allreduce`: the sum over ranks of one device tensor, as data-parallel training
/// reduces its gradients (default size: PSPNet-50's 49,081,578 parameters). Under mpirun the job's group
/// (`--backend mpi` for host buffers, `nccl` for CUDA buffers); without mpirun, `--backend nccl` on a cuda
/// device builds a one-rank NCCL communicator, so NCCL is exercised on a single GPU. Row `allreduce`, with
/// gbps the bus bandwidth as NCCL's tests define it (algorithm bandwidth x 2(N-1)/N; empty for one rank, which
/// moves no data). Rank 0 prints; every rank checks the result.</summary>
public sealed class AllReduceBench : IBenchSuite
{
    public string Name => "allreduce";
    public string Description => "Sum of one device tensor over the ranks (mpi or nccl), as gradient averaging: CSV row allreduce";

    public IReadOnlyList<BenchOption> Options { get; } =
    [
        new("floats", "49081578", "tensor length (default: PSPNet-50's parameter count)"),
        new("backend", "mpi", "mpi (host buffers) or nccl (cuda buffers; without mpirun a one-rank communicator)"),
    ];

    public IEnumerable<BenchRow> Run(BenchContext ctx)
    {
        int n = ctx.Int("floats");
        if (n < 1) throw new UserInputException($"bench allreduce: --floats must be >= 1, got {n}");
        var backend = ctx.Get("backend").ToLowerInvariant();
        if (backend is not ("mpi" or "nccl")) throw new UserInputException($"bench allreduce: --backend must be mpi or nccl, got '{backend}'");
        var dev = ctx.Device;
        if (backend == "nccl" && dev.Kind != DeviceKind.Cuda) throw new UserInputException("bench allreduce: --backend nccl needs --device cuda");
        using var owned = LaunchEnvironment.UnderMpirun ? ProcessGroups.Create(backend, dev.Kind == DeviceKind.Cuda)
            : backend == "nccl" ? NcclProcessGroup.OneRank() : null;
        var g = owned ?? SingleProcessGroup.Instance;
        ctx.Log($"allreduce of {n:N0} floats on {dev.Name}, {g.WorldSize} rank(s), backend {g.Backend}");

        using var scope = Tensor.Scope();
        // Rank r holds r + 1 everywhere: the sum is N(N+1)/2, exact in float32 for any N that fits a job.
        var t = Tensor.Full(dev, g.Rank + 1, n);
        float expect = g.WorldSize * (g.WorldSize + 1) / 2f;
        g.AllReduceSum(t);
        var first = t.ToArray();
        if (first[0] != expect || first[n - 1] != expect)
            throw new InvalidOperationException($"allreduce gave {first[0]} / {first[n - 1]}, expected {expect} (rank {g.Rank})");
        // A fixed number of runs (2 warm-ups, 15 timed): every rank must make the same collective calls, so no rank
        // may decide by its own clock when to stop, or one would wait forever in a collective the others skip.
        var stats = BenchRunner.Measure(() => { g.Barrier(); g.AllReduceSum(t); }, ctx.Sync, warmupSeconds: 0, minRuns: 15, minSeconds: 0);
        double bytes = 4.0 * n, alg = bytes / (stats.MedianMs / 1e3) / 1e9;
        // One rank moves no data (NCCL returns at once for an in-place one-rank sum): a check of the path, no bandwidth.
        double? bus = g.WorldSize > 1 ? alg * 2 * (g.WorldSize - 1) / g.WorldSize : null;
        ctx.Log(bus is { } b
            ? string.Create(CultureInfo.InvariantCulture, $"median {stats.MedianMs:F3} ms: {alg:F1} GB/s algorithm, {b:F1} GB/s bus bandwidth")
            : string.Create(CultureInfo.InvariantCulture, $"median {stats.MedianMs:F3} ms; one rank moves no data, so this checks the {g.Backend} path and measures no bandwidth"));
        if (g.Rank == 0)
            yield return new BenchRow("allreduce", dev.Name, string.Create(CultureInfo.InvariantCulture, $"{n}x{g.WorldSize}:{g.Backend}"),
                stats.MedianMs, stats.MinMs, stats.MaxMs, null, bus);
    }
}
