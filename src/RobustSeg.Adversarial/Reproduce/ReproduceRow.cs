namespace RobustSeg.Adversarial.Reproduce;

/// <summary>One row of the results: a model trained with one seed, and its scores.</summary>
public sealed record ReproduceRow(string Arch, string Regime, double CleanMIoU, double LegacyMIoU, double StrongMIoU,
    double? EnsembleMIoU, double TrainSeconds, double EvalSeconds, string Checkpoint)
{
    /// <summary>The training and attack seed of this run (the data are the same for every seed).</summary>
    public ulong Seed { get; init; }
}
