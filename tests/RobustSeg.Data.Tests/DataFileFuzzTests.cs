using RobustSeg.Tests;

namespace RobustSeg.Data.Tests;

/// <summary>The shared fuzz (tests/Shared/FileFuzz.cs) on the data files: list files, PNG and JPEG images, label PNGs.
/// Each mutation loads or is refused with an input error naming the file. What "loads correctly" means follows what
/// the format can tell: a label PNG (chunk CRCs, checked by our reader) gives the original labels; an image decodes
/// to the original size (JPEG has no checksum: its pixels are trusted); a list file is text whose paths are checked
/// when the samples are read. Memory: decoding is limited to 4x the original's pixels (the reader's max_pixels), so a
/// load allocates at most 64 bytes per allowed pixel + 4x the file + 8 MiB.</summary>
public class DataFileFuzzTests
{
    static RgbImage Picture(int h, int w)
    {
        var img = new RgbImage(h, w);
        for (int i = 0; i < img.Data.Length; i++) img.Data[i] = (i * 37 + i / 7) % 256;
        return img;
    }

    static long Bound(byte[] file, long maxPixels) => 64 * maxPixels + 4L * file.Length + (8 << 20);

    [Test]
    public void PngAndJpegImagesDecodeOrFailNamingTheFile()
    {
        using var t = new TempDir();
        var img = Picture(33, 41);
        long maxPixels = 4L * 33 * 41;
        foreach (var (ext, write) in new (string, Action<string>)[] { (".png", p => ImageIO.WritePng(p, img)), (".jpg", p => ImageIO.WriteJpeg(p, img)) })
        {
            var good = t["good" + ext];
            write(good);
            var bytes = File.ReadAllBytes(good);
            var run = new FuzzRun(t.Path, ext).Run(bytes, FileMutations.Standard(bytes.Length, 31, [8, 16, 24, 33]), path =>
            {
                var r = ImageIO.ReadRgb(path, maxPixels);
                return r.Height == 33 && r.Width == 41 ? null : $"size {r.Height}x{r.Width}";
            }, Bound(bytes, maxPixels));
            Assert.That(run.Failures, Is.Empty, ext + ": " + run);
        }
    }

    [Test]
    public void LabelPngsLoadCorrectlyOrFailNamingTheFile()
    {
        using var t = new TempDir();
        var map = new LabelMap(29, 37);
        for (int i = 0; i < map.Data.Length; i++) map.Data[i] = (byte)(i % 7 == 0 ? 255 : i % 21);
        var good = t["label.png"];
        LabelIO.WritePrediction(good, map);
        var bytes = File.ReadAllBytes(good);
        long maxPixels = 4L * 29 * 37;
        var run = new FuzzRun(t.Path, ".png").Run(bytes, FileMutations.Standard(bytes.Length, 32, [8, 16, 24, 33], flips: 32), path =>
        {
            var r = LabelIO.Read(path, maxPixels);
            return r.Height == 29 && r.Width == 37 && r.Data.SequenceEqual(map.Data) ? null : "labels differ";
        }, Bound(bytes, maxPixels));
        Assert.That(run.Failures, Is.Empty, run.ToString());
        Assert.That(run.Refused, Is.GreaterThan(run.Loaded), run.ToString());
    }

    [Test]
    public void ListFilesParseOrFailNamingTheFile()
    {
        using var t = new TempDir();
        var good = t["train.txt"];
        ListFile.Write(good, Enumerable.Range(0, 20).Select(i => ($"images/{i:D3}.jpg", (string?)$"labels/{i:D3}.png")));
        var bytes = File.ReadAllBytes(good);
        var run = new FuzzRun(t.Path, ".txt").Run(bytes,
            FileMutations.Standard(bytes.Length, 33).Append(FileMutations.Replace("three-fields", "images/003.jpg", "images/003.jpg x")), path =>
            {
                var entries = ListFile.Read(path, t.Path);
                return entries.Count is > 0 and <= 20 ? null : $"{entries.Count} entries";
            }, 4L * bytes.Length + (1 << 20));
        Assert.That(run.Failures, Is.Empty, run.ToString());
    }
}
