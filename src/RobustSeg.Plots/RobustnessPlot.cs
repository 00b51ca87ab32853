namespace RobustSeg.Plots;

/// <summary>robustness.png: mIoU against the L-inf radius (in 1/255 units), one line per (checkpoint, attack), each
/// starting from the checkpoint's clean mIoU at eps 0.</summary>
public static class RobustnessPlot
{
    public static void Write(string path, IReadOnlyList<PlotSeries> series, string? title = null, int width = 800, int height = 560)
    {
        var plot = Figure.Lines(title ?? "Robustness: mIoU under attack", "L-inf radius eps (/255)", "mIoU", series, markers: true);
        var xs = series.SelectMany(s => s.X).Distinct().OrderBy(x => x).ToArray();
        if (xs.Length > 0)
        {
            // Ticks at the radii evaluated, so every point reads off its eps exactly.
            plot.Axes.Bottom.SetTicks(xs, xs.Select(x => x.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            double span = Math.Max(1, xs[^1] - xs[0]);
            plot.Axes.SetLimitsX(xs[0] - 0.04 * span, xs[^1] + 0.04 * span);
        }
        // mIoU is a fraction: a fixed 0..1 axis keeps plots of different runs comparable at a glance.
        plot.Axes.SetLimitsY(0, 1.02);
        // Curves start high at eps 0 and fall to the right, so the lower left is where no line runs.
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        Figure.SavePng(plot, path, width, height);
    }
}
