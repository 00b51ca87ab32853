namespace RobustSeg.Config;

/// <summary>Distributed: the original configs' section. Under `mpirun` dist_backend selects the collectives
/// (mpi, or nccl on cuda; see RobustSeg.Distributed.DistributedLaunch); ranks and world size come from mpirun,
/// so dist_url, multiprocessing_distributed, world_size and rank are kept only so the configs load unchanged, as
/// are the apex keys (no mixed precision here).</summary>
public sealed class DistributedSection
{
    [ConfigKey("dist_url")] public string DistUrl { get; set; } = "tcp://127.0.0.1:6789";
    [ConfigKey("dist_backend")] public string DistBackend { get; set; } = "nccl";
    [ConfigKey("multiprocessing_distributed")] public bool MultiprocessingDistributed { get; set; }
    [ConfigKey("world_size")] public int WorldSize { get; set; } = 1;
    [ConfigKey("rank")] public int Rank { get; set; }
    [ConfigKey("use_apex")] public bool UseApex { get; set; }
    [ConfigKey("opt_level")] public string OptLevel { get; set; } = "O0";
    [ConfigKey("keep_batchnorm_fp32")] public bool? KeepBatchnormFp32 { get; set; }
    [ConfigKey("loss_scale")] public string? LossScale { get; set; }
}
