namespace RobustSeg.Data.Tests;

/// <summary>A temporary folder removed at the end of the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "robustseg-data-" + Guid.NewGuid().ToString("N"));
    public TempDir() => Directory.CreateDirectory(Path);
    public string this[string rel] => System.IO.Path.Combine(Path, rel);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

/// <summary>Replays scripted draws so transforms can be checked against hand-computed results.</summary>
public sealed class ScriptedRng(params double[] values) : IRandom
{
    readonly Queue<double> _q = new(values);
    public int Remaining => _q.Count;
    public double NextDouble() => _q.Dequeue();
    public int NextInt(int lo, int hi)
    {
        int v = (int)_q.Dequeue();
        Assert.That(v, Is.InRange(lo, hi), "scripted randint outside its range");
        return v;
    }
}

public static class Make
{
    /// <summary>A label map from rows.</summary>
    public static LabelMap Label(int[,] v)
    {
        var l = new LabelMap(v.GetLength(0), v.GetLength(1));
        for (int y = 0; y < l.Height; y++) for (int x = 0; x < l.Width; x++) l[y, x] = (byte)v[y, x];
        return l;
    }

    public static int[,] Rows(LabelMap l)
    {
        var r = new int[l.Height, l.Width];
        for (int y = 0; y < l.Height; y++) for (int x = 0; x < l.Width; x++) r[y, x] = l[y, x];
        return r;
    }

    /// <summary>An image whose channel c at (y, x) is f(y, x) + 100 c.</summary>
    public static RgbImage Image(int h, int w, Func<int, int, float> f)
    {
        var img = new RgbImage(h, w);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < 3; c++) img[y, x, c] = f(y, x) + 100 * c;
        return img;
    }

    /// <summary>Channel 0 as rows.</summary>
    public static float[,] Channel(RgbImage img, int c = 0)
    {
        var r = new float[img.Height, img.Width];
        for (int y = 0; y < img.Height; y++) for (int x = 0; x < img.Width; x++) r[y, x] = img[y, x, c];
        return r;
    }

    public static void WriteSample(string imagePath, string labelPath, int h, int w, byte labelValue = 1)
    {
        ImageIO.WritePng(imagePath, Image(h, w, (y, x) => (y * 7 + x * 3) % 100));
        var l = new LabelMap(h, w);
        Array.Fill(l.Data, labelValue);
        PngLabelWriter.WritePalette(labelPath, l, Palettes.Voc);
    }
}
