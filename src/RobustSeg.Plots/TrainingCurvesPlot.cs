namespace RobustSeg.Plots;

/// <summary>What curves.png shows, per training iteration (x = iteration): the loss terms, the training pixel
/// accuracy (with validation mIoU at epoch ends when there is one), the learning rates and, for DDC-AT, the branch
/// diagnostics. Null or empty groups are left out.</summary>
public sealed record TrainingCurves(
    IReadOnlyList<PlotSeries> Losses,
    IReadOnlyList<PlotSeries> Accuracy,
    IReadOnlyList<PlotSeries> LearningRates,
    IReadOnlyList<PlotSeries>? Branch = null);

/// <summary>curves.png beside the training log.</summary>
public static class TrainingCurvesPlot
{
    public static void Write(string path, TrainingCurves c, string? title = null)
    {
        var panels = new List<ScottPlot.Plot>
        {
            Figure.Lines(Title("loss", title), "iteration", "loss", c.Losses),
            Figure.Lines("accuracy", "iteration", "fraction", c.Accuracy),
            Figure.Lines("learning rate", "iteration", "lr", c.LearningRates),
        };
        panels[1].Axes.SetLimitsY(0, 1.02);
        if (c.Branch is { Count: > 0 })
        {
            var b = Figure.Lines("DDC-AT branch diagnostics", "iteration", "fraction of pixels", c.Branch);
            b.Axes.SetLimitsY(0, 1.02);
            panels.Add(b);
        }
        // Three panels in a row, four on a 2x2 grid.
        bool row = panels.Count == 3;
        Figure.SavePng(Figure.Grid(panels, row ? 3 : 2), path, row ? 1500 : 1200, row ? 430 : 860);
    }

    static string Title(string what, string? title) => title is null ? what : $"{title}: {what}";
}
