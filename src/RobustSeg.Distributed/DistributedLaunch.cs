using RobustSeg.Engine;

namespace RobustSeg.Distributed;

/// <summary>What one process of a job is: its process group and its device.</summary>
public sealed record RankSetup(IProcessGroup Group, Device Device, int Threads, string Note);

/// <summary>Starts a command's process: without mpirun the single-process group and the device exactly as
/// before; under mpirun the rank's share of the machine (cuda: the local-rank-th GPU; cpu and ilgpu-cpu:
/// <see cref="CpuShare"/> threads), then the group of Distributed.dist_backend: `mpi` (host buffers; also
/// `gloo`) or `nccl` (CUDA buffers through NCCL, MPI for the rest). `nccl` on a cpu device falls back to
/// `mpi` (NCCL reduces GPU memory only) and says so in <see cref="RankSetup.Note"/>, so the original configs
/// run on CPUs. <see cref="Current"/> is the group of this process, for the CLI's error policy.</summary>
public static class DistributedLaunch
{
    public static IProcessGroup? Current { get; private set; }

    public static RankSetup Start(string distBackend, string deviceName)
    {
        if (!LaunchEnvironment.UnderMpirun)
        {
            Current = SingleProcessGroup.Instance;
            return new RankSetup(Current, Device.Get(deviceName), Engine.Cpu.HostParallel.Cores, "");
        }
        var kind = Device.Parse(deviceName);
        int threads = CpuShare.ForThisProcess();
        var backend = distBackend.ToLowerInvariant();
        if (backend is not ("mpi" or "gloo" or "nccl"))
            throw new UserInputException($"Distributed.dist_backend: unknown backend '{distBackend}' (expected mpi or nccl)");
        string note = "";
        if (kind == DeviceKind.Cuda) Device.CudaOrdinal = LaunchEnvironment.LocalRank ?? 0;
        else
        {
            Engine.Cpu.HostParallel.SetThreads(threads);
            if (backend == "nccl") note = "dist_backend nccl needs cuda buffers; the cpu device uses mpi";
        }
        var device = Device.Get(kind);
        Current = ProcessGroups.Create(backend, kind == DeviceKind.Cuda);
        return new RankSetup(Current, device, kind == DeviceKind.Cuda ? 0 : threads, note);
    }

    /// <summary>Ends this process's part of the job after a command succeeded (MPI_Finalize waits for every rank,
    /// so it must not run while another rank may still wait in a collective: after an error the CLI aborts the
    /// job instead).</summary>
    public static void Finish()
    {
        Current?.Dispose();
        Current = null;
    }

    /// <summary>One line for rank 0 to print: ranks, backend, device and the threads of each rank.</summary>
    public static string Describe(RankSetup s) => s.Group.WorldSize == 1 ? "" :
        $"=> {s.Group.WorldSize} ranks ({s.Group.Backend}), device {s.Device.Name}" +
        (s.Device.Kind == DeviceKind.Cuda ? " (one GPU per local rank)" : $", {s.Threads} thread(s) per rank") +
        (s.Note.Length > 0 ? $"; {s.Note}" : "");
}
