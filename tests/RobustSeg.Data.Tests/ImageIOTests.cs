using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace RobustSeg.Data.Tests;

public class ImageIOTests
{
    [Test]
    public void PngRoundTripIsExact()
    {
        using var t = new TempDir();
        var img = Make.Image(5, 7, (y, x) => y * 10 + x);
        ImageIO.WritePng(t["a.png"], img);
        var back = ImageIO.ReadRgb(t["a.png"]);
        Assert.That(back.Height, Is.EqualTo(5));
        Assert.That(back.Width, Is.EqualTo(7));
        Assert.That(back.Data, Is.EqualTo(img.Data));
        Assert.That(ImageIO.ReadSize(t["a.png"]), Is.EqualTo((7, 5)));
    }

    [Test]
    public void JpegRoundTripIsClose()
    {
        using var t = new TempDir();
        var img = Make.Image(16, 16, (y, x) => 20 + y * 2 + x);
        ImageIO.WriteJpeg(t["a.jpg"], img, 95);
        var back = ImageIO.ReadRgb(t["a.jpg"]);
        double mae = img.Data.Zip(back.Data, (a, b) => Math.Abs(a - b)).Average();
        Assert.That(mae, Is.LessThan(4));
    }

    [Test]
    public void OversizedImageIsRefusedBeforeDecodingNamingTheFile()
    {
        using var t = new TempDir();
        ImageIO.WritePng(t["big.png"], Make.Image(20, 30, (y, x) => 0));
        var e = Assert.Throws<ImageTooLargeException>(() => ImageIO.ReadRgb(t["big.png"], maxPixels: 599))!;
        Assert.That(e.Message, Does.Contain("big.png").And.Contain("30x20").And.Contain("599"));
        Assert.That(ImageIO.ReadRgb(t["big.png"], maxPixels: 600).Width, Is.EqualTo(30));
        Assert.Throws<ImageTooLargeException>(() => LabelIO.Read(WriteLabel(t["big_label.png"], 20, 30), maxPixels: 599));
    }

    static string WriteLabel(string path, int h, int w)
    {
        PngLabelWriter.WriteGrey(path, new LabelMap(h, w));
        return path;
    }

    [Test]
    public void MissingFileNamesThePath()
    {
        using var t = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => ImageIO.ReadRgb(t["nope.jpg"]))!;
        Assert.That(e.Message, Does.Contain("nope.jpg"));
        var e2 = Assert.Throws<FileNotFoundException>(() => LabelIO.Read(t["nope.png"]))!;
        Assert.That(e2.Message, Does.Contain("nope.png"));
    }

    [Test]
    public void GarbageImageIsADecodeErrorNamingTheFile()
    {
        using var t = new TempDir();
        File.WriteAllBytes(t["junk.jpg"], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var e = Assert.Throws<ImageDecodeException>(() => ImageIO.ReadRgb(t["junk.jpg"]))!;
        Assert.That(e.Message, Does.Contain("junk.jpg"));
        Assert.That(e.Path, Is.EqualTo(t["junk.jpg"]));
    }

    [Test]
    public void TruncatedJpegIsADecodeError()
    {
        using var t = new TempDir();
        ImageIO.WriteJpeg(t["a.jpg"], Make.Image(32, 32, (y, x) => x * 4), 90);
        var bytes = File.ReadAllBytes(t["a.jpg"]);
        File.WriteAllBytes(t["cut.jpg"], bytes[..(bytes.Length / 3)]);
        // ImageSharp may decode a truncated JPEG partially; either it decodes or it is a named decode error.
        try { ImageIO.ReadRgb(t["cut.jpg"]); }
        catch (ImageDecodeException e) { Assert.That(e.Message, Does.Contain("cut.jpg")); }
    }

    [Test]
    public void GreyAndPaletteImagesDecodeToRgb()
    {
        using var t = new TempDir();
        using (var g = new Image<L8>(3, 2))
        {
            g[1, 0] = new L8(200);
            g.Save(t["g.png"], new PngEncoder { ColorType = PngColorType.Grayscale });
        }
        var img = ImageIO.ReadRgb(t["g.png"]);
        Assert.That(img[0, 1, 0], Is.EqualTo(200));
        Assert.That(img[0, 1, 2], Is.EqualTo(200));
        Assert.That(img[1, 1, 1], Is.EqualTo(0));
    }
}
