namespace RobustSeg.Adversarial.Reproduce;

/// <summary>One row of the results table: a trained model and its scores.</summary>
public sealed record ReproduceRow(string Arch, string Regime, double CleanMIoU, double LegacyMIoU, double StrongMIoU,
    double? EnsembleMIoU, double TrainSeconds, double EvalSeconds, string Checkpoint);
