using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace RobustSeg.Data.Tests;

public class PngLabelTests
{
    static LabelMap RandomLabels(int h, int w, int seed)
    {
        var r = new Random(seed);
        var l = new LabelMap(h, w);
        for (int i = 0; i < l.Data.Length; i++) l.Data[i] = r.Next(10) == 0 ? (byte)255 : (byte)r.Next(21);
        return l;
    }

    [Test]
    public void PaletteRoundTripKeepsIndices()
    {
        using var t = new TempDir();
        var l = RandomLabels(9, 13, 1);
        PngLabelWriter.WritePalette(t["p.png"], l, Palettes.Voc);
        var back = LabelIO.Read(t["p.png"]);
        Assert.That(back.Data, Is.EqualTo(l.Data));
        Assert.That(PngLabelReader.ReadSize(t["p.png"]), Is.EqualTo((13, 9)));
    }

    [Test]
    public void GreyRoundTripKeepsValues()
    {
        using var t = new TempDir();
        var l = RandomLabels(4, 6, 2);
        PngLabelWriter.WriteGrey(t["g.png"], l);
        Assert.That(LabelIO.Read(t["g.png"]).Data, Is.EqualTo(l.Data));
    }

    [Test]
    public void OurPalettePngDecodesToVocColoursInImageSharp()
    {
        using var t = new TempDir();
        var l = Make.Label(new[,] { { 0, 1, 2 }, { 15, 255, 3 } });
        PngLabelWriter.WritePalette(t["p.png"], l, Palettes.Voc);
        using var img = Image.Load<Rgb24>(t["p.png"]);
        Assert.That(img[0, 0], Is.EqualTo(new Rgb24(0, 0, 0)));
        Assert.That(img[1, 0], Is.EqualTo(new Rgb24(128, 0, 0)));
        Assert.That(img[2, 0], Is.EqualTo(new Rgb24(0, 128, 0)));
        Assert.That(img[0, 1], Is.EqualTo(new Rgb24(192, 128, 128)));
        Assert.That(img[1, 1], Is.EqualTo(new Rgb24(224, 224, 192)));
        Assert.That(img[2, 1], Is.EqualTo(new Rgb24(128, 128, 0)));
    }

    [Test]
    public void ImageSharpGreyPngWithAdaptiveFiltersReadsBack()
    {
        using var t = new TempDir();
        var l = RandomLabels(17, 23, 3);
        using (var g = Image.LoadPixelData<L8>(l.Data, 23, 17))
            g.Save(t["g.png"], new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8, FilterMethod = PngFilterMethod.Adaptive });
        Assert.That(LabelIO.Read(t["g.png"]).Data, Is.EqualTo(l.Data));
    }

    [Test]
    public void ImageSharpPalettePngReadsAsIndicesNotColours()
    {
        using var t = new TempDir();
        // Two colours -> a palette PNG; whatever index order ImageSharp picks, pixels of one colour share one index
        // and the indices are small (a colour conversion would give grey levels like 76 / 149).
        using (var img = new Image<Rgb24>(4, 2))
        {
            for (int x = 0; x < 4; x++) { img[x, 0] = new Rgb24(255, 0, 0); img[x, 1] = new Rgb24(0, 255, 0); }
            img.Save(t["p.png"], new PngEncoder { ColorType = PngColorType.Palette, BitDepth = PngBitDepth.Bit8 });
        }
        var l = LabelIO.Read(t["p.png"]);
        Assert.That(l.Data.Distinct().Count(), Is.EqualTo(2));
        Assert.That(l.Data.Max(), Is.LessThan(2));
        Assert.That(l[0, 0], Is.Not.EqualTo(l[1, 0]));
    }

    [Test]
    public void LowBitDepthGreyIsUnpacked()
    {
        using var t = new TempDir();
        byte[] levels = [0, 85, 170, 255, 255, 170, 85];
        using (var g = Image.LoadPixelData<L8>(levels, 7, 1))
            g.Save(t["g2.png"], new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit2 });
        Assert.That(LabelIO.Read(t["g2.png"]).Data, Is.EqualTo(new byte[] { 0, 1, 2, 3, 3, 2, 1 }));
    }

    [Test]
    public void SixteenBitGreyWithSmallValuesReads()
    {
        using var t = new TempDir();
        using (var g = new Image<L16>(3, 1))
        {
            g[0, 0] = new L16(0); g[1, 0] = new L16(7); g[2, 0] = new L16(255);
            g.Save(t["g16.png"], new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 });
        }
        Assert.That(LabelIO.Read(t["g16.png"]).Data, Is.EqualTo(new byte[] { 0, 7, 255 }));
    }

    [Test]
    public void RgbLabelIsRefusedWithAMessage()
    {
        using var t = new TempDir();
        ImageIO.WritePng(t["rgb.png"], Make.Image(2, 2, (y, x) => 0));
        var e = Assert.Throws<ImageDecodeException>(() => LabelIO.Read(t["rgb.png"]))!;
        Assert.That(e.Message, Does.Contain("rgb.png").And.Contain("RGB"));
    }

    [Test]
    public void JpegLabelIsRefused()
    {
        using var t = new TempDir();
        ImageIO.WriteJpeg(t["l.jpg"], Make.Image(8, 8, (y, x) => 0));
        var e = Assert.Throws<ImageDecodeException>(() => LabelIO.Read(t["l.jpg"]))!;
        Assert.That(e.Message, Does.Contain("l.jpg").And.Contain("PNG"));
    }

    [Test]
    public void CorruptedChunkIsACrcError()
    {
        using var t = new TempDir();
        var bytes = PngLabelWriter.EncodePalette(RandomLabels(8, 8, 4), Palettes.Voc);
        bytes[^20] ^= 0x55; // inside IDAT
        File.WriteAllBytes(t["bad.png"], bytes);
        var e = Assert.Throws<ImageDecodeException>(() => LabelIO.Read(t["bad.png"]))!;
        Assert.That(e.Message, Does.Contain("bad.png").And.Contain("CRC"));
    }

    [Test]
    public void TruncatedPngIsAnError()
    {
        using var t = new TempDir();
        var bytes = PngLabelWriter.EncodePalette(RandomLabels(8, 8, 5), Palettes.Voc);
        File.WriteAllBytes(t["cut.png"], bytes[..(bytes.Length - 30)]);
        var e = Assert.Throws<ImageDecodeException>(() => LabelIO.Read(t["cut.png"]))!;
        Assert.That(e.Message, Does.Contain("cut.png").And.Contain("truncated"));
    }

    [Test]
    public void PredictionsWriteFromIntClasses()
    {
        using var t = new TempDir();
        LabelIO.WritePrediction(t["pred.png"], [0, 5, 18, 255], 2, 2, Palettes.Cityscapes);
        Assert.That(LabelIO.Read(t["pred.png"]).Data, Is.EqualTo(new byte[] { 0, 5, 18, 255 }));
        using var img = Image.Load<Rgb24>(t["pred.png"]);
        Assert.That(img[0, 1], Is.EqualTo(new Rgb24(119, 11, 32))); // ImageSharp indexes [x, y]: class 18, bicycle
        Assert.That(img[1, 0], Is.EqualTo(new Rgb24(153, 153, 153))); // class 5, pole
        Assert.Throws<ArgumentException>(() => LabelIO.WritePrediction(t["x.png"], [300], 1, 1));
    }

    [Test]
    public void PalettesHoldTheKnownColours()
    {
        Assert.That(Palettes.Voc[3..6], Is.EqualTo(new byte[] { 128, 0, 0 }));
        Assert.That(Palettes.Voc[63..66], Is.EqualTo(new byte[] { 128, 64, 128 }));
        Assert.That(Palettes.Cityscapes[0..3], Is.EqualTo(new byte[] { 128, 64, 128 }));
        Assert.That(Palettes.Cityscapes[54..57], Is.EqualTo(new byte[] { 119, 11, 32 }));
        Assert.That(Palettes.Cityscapes[765..], Is.EqualTo(new byte[] { 0, 0, 0 }));
    }
}
