using ScottPlot;

namespace RobustSeg.Plots;

/// <summary>A titled picture of a side-by-side figure.</summary>
public sealed record TitledPicture(string Title, RgbPicture Picture);

/// <summary>overview.png of `robustseg attack`: pictures side by side on a grid, each under its title, at their
/// aspect ratio (clean image, adversarial image, perturbation, input gradient, both predictions).</summary>
public static class OverviewFigure
{
    public static void Write(string path, IReadOnlyList<TitledPicture> pictures, int columns = 3, int panelWidth = 360)
    {
        if (pictures.Count == 0) throw new ArgumentException("overview figure: no pictures");
        double aspect = pictures.Max(p => (double)p.Picture.Height / p.Picture.Width);
        int panelHeight = (int)Math.Ceiling(panelWidth * aspect) + 40;
        var panels = new List<Plot>();
        foreach (var p in pictures)
        {
            var plot = Figure.NewPlot();
            int w = p.Picture.Width, h = p.Picture.Height;
            // Nearest-neighbour scaling: label maps and perturbations must keep their pixel edges.
            plot.Add.ImageRect(Figure.ToImage(p.Picture), new CoordinateRect(0, w, 0, h)).AntiAlias = false;
            plot.Axes.SetLimits(0, w, 0, h);
            plot.HideAxesAndGrid();
            plot.Axes.SquareUnits();
            plot.Title(p.Title, 13);
            panels.Add(plot);
        }
        int cols = Math.Min(columns, pictures.Count), rows = (pictures.Count + cols - 1) / cols;
        Figure.SavePng(Figure.Grid(panels, cols), path, cols * panelWidth, rows * panelHeight);
    }
}
