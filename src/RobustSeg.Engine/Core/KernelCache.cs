using System.Collections.Concurrent;
using ILGPU;
using ILGPU.Runtime;

namespace RobustSeg.Engine;

/// <summary>Loads each kernel once per accelerator and launches it with the shape that suits the
/// device: on CUDA one index per element and auto-chosen groups, on the CPU accelerator group size 1
/// and a chunk of work per index (shared/notes/ilgpu-cpu.md section 7).
/// Every kernel takes its arguments as one struct (ILGPU caps kernel arity).</summary>
public sealed class KernelCache(Device device)
{
    readonly ConcurrentDictionary<Delegate, Delegate> _loaded = new(new MethodKeyComparer());
    /// <summary>Launches so far, by kernel name: lets tests check that work was skipped.</summary>
    public ConcurrentDictionary<string, long> LaunchCounts { get; } = new();

    sealed class MethodKeyComparer : IEqualityComparer<Delegate>
    {
        public bool Equals(Delegate? x, Delegate? y) => x?.Method == y?.Method;
        public int GetHashCode(Delegate d) => d.Method.GetHashCode();
    }

    /// <summary>(grid, chunk) for n units of work: chunk 1 on a GPU, about 4 chunks per core on the CPU.</summary>
    public (int Grid, int Chunk) Split(long n, int minChunk = 1)
    {
        if (n <= 0) return (0, 1);
        if (!device.IsCpuAccelerator) return ((int)n, 1);
        int parts = Math.Max(1, Engine.Cpu.HostParallel.Cores * 4);
        int chunk = (int)Math.Max(minChunk, (n + parts - 1) / parts);
        return ((int)((n + chunk - 1) / chunk), chunk);
    }

    public Action<Index1D, TArgs> Get<TArgs>(Action<Index1D, TArgs> kernel) where TArgs : struct =>
        (Action<Index1D, TArgs>)_loaded.GetOrAdd(kernel, k => device.IsCpuAccelerator
            ? device.Accelerator.LoadImplicitlyGroupedStreamKernel((Action<Index1D, TArgs>)k, 1)
            : device.Accelerator.LoadAutoGroupedStreamKernel((Action<Index1D, TArgs>)k));

    public Action<KernelConfig, TArgs> GetExplicit<TArgs>(Action<TArgs> kernel) where TArgs : struct =>
        (Action<KernelConfig, TArgs>)_loaded.GetOrAdd(kernel, k => device.Accelerator.LoadStreamKernel((Action<TArgs>)k));

    /// <summary>Launches a 1-D kernel over `grid` indices.</summary>
    public void Launch<TArgs>(Action<Index1D, TArgs> kernel, int grid, TArgs args) where TArgs : struct
    {
        if (grid <= 0) return;
        var k = Get(kernel);
        Count(kernel.Method.Name);
        k(grid, args);
        AfterLaunch(kernel.Method.Name);
    }

    /// <summary>Launches a kernel with an explicit grid/group (shared memory, barriers).</summary>
    public void LaunchExplicit<TArgs>(Action<TArgs> kernel, KernelConfig config, TArgs args) where TArgs : struct
    {
        var k = GetExplicit(kernel);
        Count(kernel.Method.Name);
        k(config, args);
        AfterLaunch(kernel.Method.Name);
    }

    /// <summary>Host-path work counts too, so tests can check what a backward pass computed.</summary>
    public void Count(string name) => LaunchCounts.AddOrUpdate(name, 1, (_, v) => v + 1);

    void AfterLaunch(string name)
    {
        if (device.IsCpuAccelerator) KernelAssertGuard.ThrowIfFailed(name);
    }
}
