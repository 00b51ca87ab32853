using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace RobustSeg.Engine;

/// <summary>The three device kinds. `cpu` runs the host SIMD backend on ILGPU CPU buffers,
/// `ilgpu-cpu` runs the ILGPU kernels on the CPU accelerator (slow; for testing the GPU kernels),
/// `cuda` runs the ILGPU kernels on an NVIDIA GPU.</summary>
public enum DeviceKind { Cpu, IlgpuCpu, Cuda }

/// <summary>One ILGPU context + accelerator, its buffer pool, kernel cache and backend.</summary>
public sealed class Device : IDisposable
{
    static readonly object CreateLock = new();
    static readonly Dictionary<DeviceKind, Device> Shared = new();
    static bool _resolverInstalled;

    public DeviceKind Kind { get; }
    public Context Context { get; }
    public Accelerator Accelerator { get; }
    public Backend Backend { get; private set; }
    public BufferPool Pool { get; }
    public KernelCache Kernels { get; }
    /// <summary>True when ILGPU kernels run on the CPU accelerator (group size 1, chunked launches).</summary>
    public bool IsCpuAccelerator => Accelerator.AcceleratorType == AcceleratorType.CPU;
    public string Name => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.IlgpuCpu => "ilgpu-cpu",
        _ => "cuda",
    };

    Device(DeviceKind kind)
    {
        Kind = kind;
        // One simulated multiprocessor per core, 2 threads per warp: the only CPU setting that does not
        // oversubscribe threads (see shared/notes/ilgpu-cpu.md section 3).
        var cpuDev = new CPUDevice(2, 1, Engine.Cpu.HostParallel.Cores);
        if (kind == DeviceKind.Cuda)
        {
            InstallCudaResolver();
            Context = Context.Create(b => b.Cuda().Optimize(OptimizationLevel.O2).EnableAlgorithms());
            var cudaDevices = Context.GetCudaDevices();
            if (cudaDevices.Count == 0)
            {
                Context.Dispose();
                throw new DeviceUnavailableException(
                    "device 'cuda' requested but no CUDA device was found (is the NVIDIA driver installed and libcuda.so.1 on the library path?). Use --device cpu.");
            }
            if (CudaOrdinal >= cudaDevices.Count)
            {
                Context.Dispose();
                throw new DeviceUnavailableException(
                    $"device 'cuda' number {CudaOrdinal} requested (one GPU per local rank) but only {cudaDevices.Count} CUDA device(s) were found; start at most that many ranks per machine");
            }
            Accelerator = cudaDevices[CudaOrdinal].CreateAccelerator(Context);
        }
        else
        {
            if (kind == DeviceKind.IlgpuCpu) KernelAssertGuard.Install();
            Context = Context.Create(b => b.CPU(cpuDev).Optimize(OptimizationLevel.O1).EnableAlgorithms());
            Accelerator = ((CPUDevice)Context.Devices.First(d => d.AcceleratorType == AcceleratorType.CPU))
                .CreateAccelerator(Context);
        }
        Pool = new BufferPool(this);
        Kernels = new KernelCache(this);
        Backend = kind == DeviceKind.Cpu ? new Cpu.CpuBackend(this) : new Ilgpu.IlgpuBackend(this);
    }

    /// <summary>Which CUDA device `cuda` opens (0 by default; the local rank under mpirun). Set before the
    /// first cuda device is created.</summary>
    public static int CudaOrdinal { get; set; }

    /// <summary>The process-wide device of a kind ("cpu", "ilgpu-cpu", "cuda", "auto"), created on first use.</summary>
    public static Device Get(string name) => Get(Parse(name));

    public static Device Get(DeviceKind kind)
    {
        lock (CreateLock)
        {
            if (!Shared.TryGetValue(kind, out var d)) Shared[kind] = d = new Device(kind);
            return d;
        }
    }

    public static Device Cpu => Get(DeviceKind.Cpu);

    public static DeviceKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => DeviceKind.Cpu,
        "ilgpu-cpu" => DeviceKind.IlgpuCpu,
        "cuda" or "gpu" => DeviceKind.Cuda,
        "auto" => CudaAvailable() ? DeviceKind.Cuda : DeviceKind.Cpu,
        _ => throw new UserInputException($"unknown device '{name}': expected cpu, ilgpu-cpu, cuda or auto"),
    };

    /// <summary>True when ILGPU sees at least one CUDA device. Never throws.</summary>
    public static bool CudaAvailable()
    {
        try
        {
            InstallCudaResolver();
            using var ctx = Context.Create(b => b.Cuda());
            return ctx.GetCudaDevices().Count > 0;
        }
        catch (Exception) { return false; }
    }

    /// <summary>.NET probes libcuda.so but containers often mount only libcuda.so.1.</summary>
    static void InstallCudaResolver()
    {
        if (_resolverInstalled || !OperatingSystem.IsLinux()) return;
        _resolverInstalled = true;
        if (File.Exists("/usr/lib/wsl/lib/libcuda.so")) return; // ILGPU installs its own resolver on WSL
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, (name, asm, path) =>
            {
                if (name != "cuda" && name != "nvcuda") return IntPtr.Zero;
                foreach (var candidate in new[] { "libcuda.so", "libcuda.so.1" })
                    if (NativeLibrary.TryLoad(candidate, asm, path, out var h)) return h;
                return IntPtr.Zero;
            });
        }
        catch (InvalidOperationException) { /* a resolver is already set */ }
    }

    /// <summary>Waits for queued GPU work; a no-op on the CPU accelerator (launches are synchronous).</summary>
    public void Synchronize() => Accelerator.Synchronize();

    /// <summary>Times every op of this device into <paramref name="profile"/> until the returned handle is
    /// disposed (one profile at a time; not for concurrent use of the device from several threads).</summary>
    public IDisposable Profile(OpProfile profile)
    {
        if (Backend is ProfilingBackend) throw new InvalidOperationException($"device {Name} is already being profiled");
        var inner = Backend;
        Backend = new ProfilingBackend(inner, profile);
        return new Restore(() => Backend = inner);
    }

    sealed class Restore(Action undo) : IDisposable
    {
        Action? _undo = undo;
        public void Dispose() { _undo?.Invoke(); _undo = null; }
    }

    public string Describe()
    {
        var a = Accelerator;
        const double GiB = 1024.0 * 1024 * 1024;
        if (a is CudaAccelerator c)
            return $"{Name}: {a.Name} (ILGPU {a.AcceleratorType}), memory {a.MemorySize / GiB:F1} GiB, compute capability {c.Architecture}" +
                   (Backend is Ilgpu.IlgpuBackend ib ? $", GEMM: {ib.GemmPath}" : "");
        // The CPU accelerator reports an address-space figure; the host's memory is what matters.
        var s = $"{Name}: {a.Name} (ILGPU {a.AcceleratorType}, {(Kind == DeviceKind.Cpu ? "host SIMD backend" : "ILGPU kernels")}), " +
                $"memory {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / GiB:F1} GiB, {Environment.ProcessorCount} cores";
        return s;
    }

    public override string ToString() => Name;

    public void Dispose()
    {
        (Backend as IDisposable)?.Dispose();
        Pool.Dispose();
        Accelerator.Dispose();
        Context.Dispose();
    }
}

public sealed class DeviceUnavailableException(string message) : Exception(message), IUserInputError;
