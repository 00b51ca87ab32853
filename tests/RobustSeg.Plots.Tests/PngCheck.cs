using NUnit.Framework;
using SkiaSharp;

namespace RobustSeg.Plots.Tests;

/// <summary>What a test can say about a PNG: its size, and how much of it is not background.</summary>
public static class PngCheck
{
    public sealed record Info(int Width, int Height, double InkFraction, int Colours);

    /// <summary>Decodes the PNG; ink = pixels that differ from the top-left (background) colour.</summary>
    public static Info Read(string path)
    {
        Assert.That(File.Exists(path), Is.True, $"{path} was not written");
        using var bmp = SKBitmap.Decode(path);
        Assert.That(bmp, Is.Not.Null, $"{path} is not a decodable image");
        var bg = bmp.GetPixel(0, 0);
        long ink = 0;
        var colours = new HashSet<uint>();
        for (int y = 0; y < bmp.Height; y++)
            for (int x = 0; x < bmp.Width; x++)
            {
                var c = bmp.GetPixel(x, y);
                if (c != bg) ink++;
                if (colours.Count < 4096) colours.Add((uint)c);
            }
        return new Info(bmp.Width, bmp.Height, (double)ink / ((long)bmp.Width * bmp.Height), colours.Count);
    }

    /// <summary>A figure with its size, some ink but mostly background, and more than a couple of colours.</summary>
    public static Info AssertFigure(string path, int width, int height)
    {
        var i = Read(path);
        Assert.That((i.Width, i.Height), Is.EqualTo((width, height)), $"{path} size");
        Assert.That(i.InkFraction, Is.GreaterThan(0.01), $"{path} looks blank");
        Assert.That(i.Colours, Is.GreaterThan(8), $"{path} has too few colours to hold lines and text");
        return i;
    }

    /// <summary>Fraction of dark pixels (text, axes) inside a rectangle.</summary>
    public static double DarkFraction(string path, int x0, int y0, int x1, int y1)
    {
        using var bmp = SKBitmap.Decode(path);
        long dark = 0, n = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                var c = bmp.GetPixel(x, y);
                n++;
                if (c.Red + c.Green + c.Blue < 3 * 100) dark++;
            }
        return (double)dark / n;
    }
}
