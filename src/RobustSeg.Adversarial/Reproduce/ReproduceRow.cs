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

/// <summary>See <see cref="ReproduceRow.Branch"/>. MaskLoss is the mask head's CE; ConstantLoss what a head that ignores its
/// input would reach: the binary entropy of the batch's share of ones (the clean half's share / 2 for an even batch,
/// since every target of the adversarial half is 0). A MaskLoss near ConstantLoss means the head has not learned
/// where the attack flips predictions; it can route a pixel to cls2 only where it predicts 1 with more than 50 %.</summary>
public sealed record BranchDiagnostics(double MaskTargetOnes, double RoutedClean, double RoutedAdv, double MaskLoss = 0, double ConstantLoss = 0)
{
    /// <summary>Means over the records of the last epoch present.</summary>
    public static BranchDiagnostics? Of(IReadOnlyList<Training.IterationRecord> records)
    {
        if (records.Count == 0) return null;
        int last = records.Max(r => r.Epoch);
        var l = records.Where(r => r.Epoch == last).ToList();
        return new BranchDiagnostics(l.Average(r => r.MaskTargetOnes), l.Average(r => r.RoutedClean), l.Average(r => r.RoutedAdv),
            l.Average(r => r.MaskLoss), l.Average(r => BinaryEntropy(r.MaskTargetOnes / 2)));
    }

    /// <summary>-(q ln q + (1 - q) ln(1 - q)), 0 at q = 0 or 1.</summary>
    public static double BinaryEntropy(double q) => q <= 0 || q >= 1 ? 0 : -(q * Math.Log(q) + (1 - q) * Math.Log(1 - q));
}
