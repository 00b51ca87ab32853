namespace RobustSeg.Adversarial.Reproduce;

/// <summary>Mean and sample standard deviation of a score over the seeds of one (arch, regime).</summary>
public readonly record struct Spread(double Mean, double Std, int N)
{
    public static Spread Of(IReadOnlyList<double> v)
    {
        double m = v.Average();
        double s = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Count - 1)) : 0;
        return new Spread(m, s, v.Count);
    }
}

/// <summary>One (arch, regime) over every seed it was trained with.</summary>
public sealed record ReproduceSummary(string Arch, string Regime, Spread Clean, Spread Legacy, Spread Strong, Spread? Ensemble,
    double TrainSeconds, double EvalSeconds)
{
    /// <summary>Rows grouped by (arch, regime), in the order they first appear.</summary>
    public static IReadOnlyList<ReproduceSummary> Of(IReadOnlyList<ReproduceRow> rows) => rows
        .GroupBy(r => (r.Arch, r.Regime))
        .Select(g =>
        {
            var l = g.ToList();
            return new ReproduceSummary(g.Key.Arch, g.Key.Regime,
                Spread.Of(l.Select(r => r.CleanMIoU).ToList()), Spread.Of(l.Select(r => r.LegacyMIoU).ToList()),
                Spread.Of(l.Select(r => r.StrongMIoU).ToList()),
                l.All(r => r.EnsembleMIoU is not null) ? Spread.Of(l.Select(r => r.EnsembleMIoU!.Value).ToList()) : null,
                l.Average(r => r.TrainSeconds), l.Average(r => r.EvalSeconds));
        }).ToList();
}
