namespace RobustSeg.Distributed;

/// <summary>Creates the process group: identity without mpirun; under mpirun the backend named by
/// Distributed.dist_backend ("mpi" or "nccl"; "gloo" is accepted as "mpi" so the original configs run on
/// CPU).</summary>
public static class ProcessGroups
{
    public static IProcessGroup Create(string distBackend, bool deviceIsCuda)
    {
        if (!LaunchEnvironment.UnderMpirun) return SingleProcessGroup.Instance;
        var mpi = new MpiProcessGroup();
        switch (distBackend.ToLowerInvariant())
        {
            case "mpi":
            case "gloo":
                return mpi;
            case "nccl":
                // NCCL reduces CUDA buffers only; on the cpu device the original's nccl configs fall back to MPI.
                return deviceIsCuda ? new NcclProcessGroup(mpi) : mpi;
            default:
                mpi.Dispose();
                throw new ArgumentException($"Distributed.dist_backend: unknown backend '{distBackend}' (expected mpi or nccl)");
        }
    }
}
