namespace RobustSeg.Distributed;

/// <summary>What mpirun (Open MPI) tells a process through its environment.</summary>
public static class LaunchEnvironment
{
    static int? Env(string name) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : null;

    public static int? Rank => Env("OMPI_COMM_WORLD_RANK");
    public static int? Size => Env("OMPI_COMM_WORLD_SIZE");
    public static int? LocalRank => Env("OMPI_COMM_WORLD_LOCAL_RANK");
    public static int? LocalSize => Env("OMPI_COMM_WORLD_LOCAL_SIZE");

    /// <summary>True when started by mpirun (even with -np 1).</summary>
    public static bool UnderMpirun => Size is not null;
}
