namespace RobustSeg.Adversarial.Training;

/// <summary>How a Trainer runs (what the config does not say).</summary>
public sealed record TrainerOptions
{
    /// <summary>Checkpoint to continue from (overrides TRAIN.resume).</summary>
    public string? Resume { get; init; }
    /// <summary>Progress lines (every print_freq iterations and per epoch); null: silent.</summary>
    public TextWriter? Progress { get; init; }
    /// <summary>Called after every iteration.</summary>
    public Action<IterationRecord>? OnIteration { get; init; }
    /// <summary>Stop after this many epochs of the run (simulates an interruption; checkpoints as usual).</summary>
    public int? StopAfterEpoch { get; init; }
    /// <summary>Write save_path/train_log.csv and config.yaml.</summary>
    public bool WriteLog { get; init; } = true;
    /// <summary>The processes of a data-parallel run (null: one process). Rank 0 alone logs and writes checkpoints.</summary>
    public Distributed.IProcessGroup? Group { get; init; }
}

/// <summary>What a training run produced.</summary>
public sealed record TrainResult(string FinalCheckpoint, double Seconds, long Iterations, int EpochsCompleted,
    double ImagesPerSecond, IterationRecord? Last, string? LogPath);
