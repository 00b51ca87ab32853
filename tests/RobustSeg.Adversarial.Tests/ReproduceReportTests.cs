using RobustSeg.Adversarial.Reproduce;

namespace RobustSeg.Adversarial.Tests;

public class ReproduceReportTests
{
    static ReproduceRow Row(string regime, ulong seed, double clean, double legacy, double strong) =>
        new("psp", regime, clean, legacy, strong, null, 10, 2, "x") { Seed = seed };

    [Test]
    public void SpreadIsTheMeanAndSampleStandardDeviation()
    {
        var s = Spread.Of([0.5, 0.7, 0.9]);
        Assert.That(s.Mean, Is.EqualTo(0.7).Within(1e-12));
        Assert.That(s.Std, Is.EqualTo(0.2).Within(1e-12));
        Assert.That(Spread.Of([0.4]).Std, Is.EqualTo(0));
    }

    [Test]
    public void SummaryGroupsSeedsAndTheTableShowsTheSpread()
    {
        var rows = new List<ReproduceRow>();
        for (ulong k = 0; k < 3; k++)
        {
            rows.Add(Row("nodefense", k, 0.80 + 0.01 * k, 0.50, 0.30));
            rows.Add(Row("sat", k, 0.78, 0.60 + 0.02 * k, 0.45));
            rows.Add(Row("ddcat", k, 0.79, 0.58, 0.44));
        }
        var sum = ReproduceSummary.Of(rows);
        Assert.That(sum.Select(s => s.Regime), Is.EqualTo(new[] { "nodefense", "sat", "ddcat" }));
        Assert.That(sum[0].Clean.N, Is.EqualTo(3));
        Assert.That(sum[0].Clean.Mean, Is.EqualTo(0.81).Within(1e-12));
        var table = ReproduceReport.ConsoleTable(sum, "PGD");
        Assert.That(table, Does.Contain("seeds"));
        Assert.That(table, Does.Contain("0.8100 ± 0.0100"));
        var reading = ReproduceReport.Reading(sum);
        // DDC-AT beats SAT on clean only: the ordering holds in part, and the legacy gap (0.58 vs 0.62, std 0.02) is not
        // within the spread while the clean one (0.79 vs 0.78, std 0) is a real difference too.
        Assert.That(reading, Does.Contain("means over 3 seeds"));
        Assert.That(reading, Does.Contain("holds only in part: DDC-AT >= SAT on clean, below on legacy BIM, strong"));
        Assert.That(reading, Does.Not.Contain("do not tell"));
    }

    [Test]
    public void ReadingSaysWhenNoDifferenceExceedsTheSpread()
    {
        var rows = new List<ReproduceRow>();
        for (ulong k = 0; k < 3; k++)
        {
            rows.Add(Row("nodefense", k, 0.80, 0.50, 0.30));
            rows.Add(Row("sat", k, 0.78 + 0.02 * k, 0.60 + 0.02 * k, 0.45 + 0.02 * k));
            rows.Add(Row("ddcat", k, 0.77 + 0.02 * k, 0.59 + 0.02 * k, 0.44 + 0.02 * k));
        }
        var reading = ReproduceReport.Reading(ReproduceSummary.Of(rows));
        Assert.That(reading, Does.Contain("does not hold"));
        Assert.That(reading, Does.Contain("every difference is within the seed spread, so these seeds do not tell DDC-AT and SAT apart"));
    }

    [Test]
    public void ReadingSaysPlainlyWhenTheOrderingHoldsOrNot()
    {
        var holds = ReproduceSummary.Of([Row("nodefense", 1, 0.8, 0.5, 0.3), Row("sat", 1, 0.7, 0.6, 0.4), Row("ddcat", 1, 0.75, 0.65, 0.45)]);
        Assert.That(ReproduceReport.Reading(holds), Does.Contain("the paper's ordering holds: DDC-AT >= SAT on clean, legacy BIM, strong"));
        var not = ReproduceSummary.Of([Row("nodefense", 1, 0.8, 0.5, 0.3), Row("sat", 1, 0.7, 0.6, 0.4), Row("ddcat", 1, 0.6, 0.55, 0.35)]);
        Assert.That(ReproduceReport.Reading(not), Does.Contain("the paper's ordering does not hold"));
        Assert.That(ReproduceReport.ConsoleTable(not, "PGD"), Does.Not.Contain("seeds"));
    }

    [Test]
    public void BranchDiagnosticsAreTheLastEpochsMeansAndCollapseIsNamed()
    {
        var recs = new List<Training.IterationRecord>
        {
            new(1, 1, 1, 0.01, 1, 1, 1, 1, 0.5, 0.5, 0, MaskTargetOnes: 0.9, RoutedClean: 0.5, RoutedAdv: 0.5),
            new(2, 2, 1, 0.01, 1, 1, 0.10, 1, 0, 0.5, 0, MaskTargetOnes: 0.04, RoutedClean: 0.002, RoutedAdv: 0),
            new(3, 2, 2, 0.01, 1, 1, 0.20, 1, 0, 0.5, 0, MaskTargetOnes: 0.06, RoutedClean: 0.004, RoutedAdv: 0.002),
        };
        var b = BranchDiagnostics.Of(recs)!;
        Assert.That(b.MaskTargetOnes, Is.EqualTo(0.05).Within(1e-12));
        Assert.That(b.RoutedClean, Is.EqualTo(0.003).Within(1e-12));
        Assert.That(b.MaskLoss, Is.EqualTo(0.15).Within(1e-12));
        // A constant prediction at the batch's rate: the clean half's share halved (the adversarial half is all 0).
        double H(double q) => -(q * Math.Log(q) + (1 - q) * Math.Log(1 - q));
        Assert.That(b.ConstantLoss, Is.EqualTo((H(0.02) + H(0.03)) / 2).Within(1e-12));
        Assert.That(BranchDiagnostics.BinaryEntropy(0), Is.EqualTo(0));
        Assert.That(BranchDiagnostics.BinaryEntropy(0.5), Is.EqualTo(Math.Log(2)).Within(1e-15));
        var rows = new[] { Row("sat", 1, 0.7, 0.6, 0.4), Row("ddcat", 1, 0.7, 0.6, 0.4) with { Branch = b } };
        var text = ReproduceReport.Branch(rows)!;
        Assert.That(text, Does.Contain("mask targets = 1 on 5.0 %").And.Contain("routing has collapsed"));
        Assert.That(text, Does.Contain("mask-head loss 0.150 against " + b.ConstantLoss.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(ReproduceReport.Branch([rows[0]]), Is.Null);
    }
}
