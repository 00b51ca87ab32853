namespace RobustSeg.Adversarial.Reproduce;

/// <summary>One row of the results: a model trained with one seed, and its scores.</summary>
public sealed record ReproduceRow(string Arch, string Regime, double CleanMIoU, double LegacyMIoU, double StrongMIoU,
    double? EnsembleMIoU, double TrainSeconds, double EvalSeconds, string Checkpoint)
{
    /// <summary>The training and attack seed of this run (the data are the same for every seed).</summary>
    public ulong Seed { get; init; }
    /// <summary>DDC-AT branch diagnostics, means over the last training epoch (null for the other regimes): the share of
    /// mask targets equal to 1 in the clean half, and of pixels routed to cls2 in the clean and adversarial halves.</summary>
    public BranchDiagnostics? Branch { get; init; }
}

/// <summary>See <see cref="ReproduceRow.Branch"/>.</summary>
public sealed record BranchDiagnostics(double MaskTargetOnes, double RoutedClean, double RoutedAdv)
{
    /// <summary>Means over the records of the last epoch present.</summary>
    public static BranchDiagnostics? Of(IReadOnlyList<Training.IterationRecord> records)
    {
        if (records.Count == 0) return null;
        int last = records.Max(r => r.Epoch);
        var l = records.Where(r => r.Epoch == last).ToList();
        return new BranchDiagnostics(l.Average(r => r.MaskTargetOnes), l.Average(r => r.RoutedClean), l.Average(r => r.RoutedAdv));
    }
}
