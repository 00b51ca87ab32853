namespace RobustSeg.Distributed;

/// <summary>How many threads a rank on the cpu device uses, so N ranks on one machine do not oversubscribe it:
/// ROBUSTSEG_THREADS when set, else the cores this process may use divided by the ranks on this machine
/// (at least 1). .NET's core count already honours an affinity mask (mpirun --bind-to core) and cgroup limits.</summary>
public static class CpuShare
{
    public const string Variable = "ROBUSTSEG_THREADS";

    public static int ThreadsPerRank(int cores, int localRanks, string? overrideValue)
    {
        if (!string.IsNullOrWhiteSpace(overrideValue))
        {
            if (!int.TryParse(overrideValue, out var n) || n < 1)
                throw new ArgumentException($"{Variable}={overrideValue}: expected a whole number of threads >= 1");
            return n;
        }
        return Math.Max(1, cores / Math.Max(1, localRanks));
    }

    public static int ForThisProcess() => ThreadsPerRank(Environment.ProcessorCount,
        LaunchEnvironment.LocalSize ?? 1, Environment.GetEnvironmentVariable(Variable));
}
