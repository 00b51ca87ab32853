using RobustSeg.Engine.IO;
using ScottPlot;
using SkiaSharp;

namespace RobustSeg.Plots;

/// <summary>One line of a chart: a label for the legend and its points.</summary>
public sealed record PlotSeries(string Label, double[] X, double[] Y)
{
    public void Check()
    {
        if (X.Length != Y.Length) throw new ArgumentException($"series '{Label}': {X.Length} x values but {Y.Length} y values");
    }
}

/// <summary>An RGB picture to place in a figure: interleaved bytes, row-major, 3 per pixel.</summary>
public sealed record RgbPicture(byte[] Rgb, int Width, int Height)
{
    public void Check()
    {
        if (Width < 1 || Height < 1 || Rgb.Length != 3L * Width * Height)
            throw new ArgumentException($"picture of {Width}x{Height} needs {3L * Width * Height} bytes, got {Rgb.Length}");
    }
}

/// <summary>What every figure shares: a plot with the embedded font, the line colours, pictures as ScottPlot
/// images, and saving a PNG atomically (never a half-written figure).</summary>
public static class Figure
{
    /// <summary>Distinct, colour-blind-friendly line colours (ScottPlot's Category10), cycled.</summary>
    public static Color LineColour(int i)
    {
        var p = new ScottPlot.Palettes.Category10();
        return p.GetColor(i % p.Colors.Length);
    }

    static readonly MarkerShape[] Shapes =
        [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond, MarkerShape.OpenCircle, MarkerShape.OpenSquare];

    public static Plot NewPlot()
    {
        PlotFonts.Ensure();
        return new Plot();
    }

    /// <summary>A chart panel: title, axis labels, one line (with markers when few points) per series, a legend when
    /// more than one series is labelled.</summary>
    public static Plot Lines(string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series, bool markers = false)
    {
        var plot = NewPlot();
        plot.Title(title, 14);
        plot.XLabel(xLabel, 12);
        plot.YLabel(yLabel, 12);
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            s.Check();
            if (s.X.Length == 0) continue;
            var sc = plot.Add.Scatter(s.X, s.Y, LineColour(i));
            sc.LegendText = s.Label;
            sc.LineWidth = 1.5f;
            sc.MarkerSize = markers || s.X.Length <= 30 ? 7 : 0;
            // Shapes cycle with the colours, so lines that coincide stay distinguishable at their points.
            sc.MarkerShape = Shapes[i % Shapes.Length];
        }
        if (series.Count(s => s.Label.Length > 0 && s.X.Length > 0) > 1) plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    public static void SavePng(Plot plot, string path, int width, int height)
    {
        using var img = plot.GetImage(width, height);
        AtomicFile.WriteAllBytes(path, img.GetImageBytes(ImageFormat.Png, 100));
    }

    public static void SavePng(Multiplot plots, string path, int width, int height)
    {
        using var img = plots.Render(width, height);
        AtomicFile.WriteAllBytes(path, img.GetImageBytes(ImageFormat.Png, 100));
    }

    /// <summary>Panels laid out on a grid of <paramref name="columns"/> columns.</summary>
    public static Multiplot Grid(IReadOnlyList<Plot> panels, int columns)
    {
        PlotFonts.Ensure();
        // Multiplot(plot) starts with that plot (the parameterless constructor adds an empty one).
        var mp = new Multiplot(panels[0]);
        foreach (var p in panels.Skip(1)) mp.AddPlot(p);
        int rows = (panels.Count + columns - 1) / columns;
        mp.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, Math.Min(columns, panels.Count));
        return mp;
    }

    public static Image ToImage(RgbPicture p)
    {
        p.Check();
        using var bmp = new SKBitmap(new SKImageInfo(p.Width, p.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var px = new byte[p.Width * p.Height * 4];
        for (int i = 0, n = p.Width * p.Height; i < n; i++)
        {
            px[4 * i] = p.Rgb[3 * i]; px[4 * i + 1] = p.Rgb[3 * i + 1]; px[4 * i + 2] = p.Rgb[3 * i + 2]; px[4 * i + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(px, 0, bmp.GetPixels(), px.Length);
        return new Image(bmp);
    }
}
