namespace RobustSeg.Plots;

/// <summary>One attack run's per-step record (one restart of one attack; ensembles give one trace per member).</summary>
public sealed record StepTrace(string Label, double[] Step, double[] Loss, double[] FlippedFraction, double[] PerturbationLinf255, double[] PerturbationL2);

/// <summary>steps.png of `robustseg attack`: loss, flipped-pixel fraction and perturbation norms against the step,
/// one line per trace.</summary>
public static class AttackStepsPlot
{
    public static void Write(string path, IReadOnlyList<StepTrace> traces, string? title = null)
    {
        List<PlotSeries> Of(Func<StepTrace, double[]> y) => traces.Select(t => new PlotSeries(t.Label, t.Step, y(t))).ToList();
        var flipped = Figure.Lines("flipped pixels", "step", "fraction of pixels", Of(t => t.FlippedFraction));
        flipped.Axes.SetLimitsY(0, 1.02);
        var panels = new List<ScottPlot.Plot>
        {
            Figure.Lines(title is null ? "attack loss" : $"{title}: loss", "step", "loss", Of(t => t.Loss)),
            flipped,
            Figure.Lines("perturbation L-inf", "step", "max |delta| (/255)", Of(t => t.PerturbationLinf255)),
            Figure.Lines("perturbation L2", "step", "||delta||_2 (pixels in [0,1])", Of(t => t.PerturbationL2)),
        };
        Figure.SavePng(Figure.Grid(panels, 2), path, 1200, 860);
    }
}
