using RobustSeg.Engine;
namespace RobustSeg.Data.Tests;

/// <summary>Every transform against results computed by hand with OpenCV's conventions.</summary>
public class TransformTests
{
    static Sample Row(float[] pixels, int[]? labels = null)
    {
        var img = new RgbImage(1, pixels.Length);
        for (int x = 0; x < pixels.Length; x++) for (int c = 0; c < 3; c++) img[0, x, c] = pixels[x];
        LabelMap? l = null;
        if (labels is not null) { l = new LabelMap(1, labels.Length); for (int x = 0; x < labels.Length; x++) l[0, x] = (byte)labels[x]; }
        return new Sample(img, l);
    }

    static float[] Row0(RgbImage img, int c = 0) => Enumerable.Range(0, img.Width).Select(x => img[0, x, c]).ToArray();

    [Test]
    public void ResizeUpIsBilinearWithHalfPixelCentresAndClampedEdges()
    {
        var s = Row([0, 100], [1, 2]);
        new Resize(1, 4).Apply(s, new ScriptedRng());
        Assert.That(Row0(s.Image), Is.EqualTo(new float[] { 0, 25, 75, 100 }).Within(1e-4));
        Assert.That(s.Label!.Data, Is.EqualTo(new byte[] { 1, 1, 2, 2 }));
    }

    [Test]
    public void ResizeDownAveragesPairsAndLabelsTakeFloorNeighbours()
    {
        var s = Row([0, 10, 20, 30], [1, 2, 3, 4]);
        new Resize(1, 2).Apply(s, new ScriptedRng());
        Assert.That(Row0(s.Image), Is.EqualTo(new float[] { 5, 25 }).Within(1e-4));
        Assert.That(s.Label!.Data, Is.EqualTo(new byte[] { 1, 3 }));
    }

    [Test]
    public void RandScaleDrawsTheScaleAndResizes()
    {
        var s = new Sample(Make.Image(2, 2, (y, x) => y * 100 + x * 10), Make.Label(new[,] { { 1, 2 }, { 3, 4 } }));
        var rng = new ScriptedRng(0.5);
        new RandScale(1, 3).Apply(s, rng); // scale 2
        Assert.That(rng.Remaining, Is.Zero);
        Assert.That((s.Height, s.Width), Is.EqualTo((4, 4)));
        Assert.That(Make.Rows(s.Label!), Is.EqualTo(new[,] { { 1, 1, 2, 2 }, { 1, 1, 2, 2 }, { 3, 3, 4, 4 }, { 3, 3, 4, 4 } }));
        // Bilinear along x on row 0: [0, 2.5, 7.5, 10]; along y rows weight 0, 0.25, 0.75, 1.
        Assert.That(Make.Channel(s.Image), Is.EqualTo(new float[,]
        {
            { 0, 2.5f, 7.5f, 10 }, { 25, 27.5f, 32.5f, 35 }, { 75, 77.5f, 82.5f, 85 }, { 100, 102.5f, 107.5f, 110 },
        }).Within(1e-3));
        Assert.That(s.Image[3, 3, 2], Is.EqualTo(310).Within(1e-3)); // channel offset kept
    }

    [Test]
    public void RandScaleAspectJitterScalesAxesApart()
    {
        var s = new Sample(Make.Image(2, 2, (y, x) => 0), Make.Label(new[,] { { 1, 2 }, { 3, 4 } }));
        new RandScale(1, 1, (4, 4)).Apply(s, new ScriptedRng(0.3, 0.9)); // scale 1, aspect sqrt(4) = 2: fx 2, fy 0.5
        Assert.That((s.Height, s.Width), Is.EqualTo((1, 4)));
        Assert.That(Make.Rows(s.Label!), Is.EqualTo(new[,] { { 1, 1, 2, 2 } }));
    }

    [Test]
    public void RandRotate90AboutOpenCvsCentrePadsImageWithMeanAndLabelWith255()
    {
        // getRotationMatrix2D((1.5, 1.5), 90, 1): dst(x', y') = src(x = 3 - y', y = x').
        var label = Make.Label(new[,] { { 0, 1, 2 }, { 3, 4, 5 }, { 6, 7, 8 } });
        var s = new Sample(Make.Image(3, 3, (y, x) => 10 * (3 * y + x)), label);
        var rng = new ScriptedRng(0.2, 0.0);
        new RandRotate(90, 90, [1, 2, 3], 255).Apply(s, rng);
        Assert.That(rng.Remaining, Is.Zero);
        Assert.That(Make.Rows(s.Label!), Is.EqualTo(new[,] { { 255, 255, 255 }, { 2, 5, 8 }, { 1, 4, 7 } }));
        Assert.That(Make.Channel(s.Image, 0), Is.EqualTo(new float[,] { { 1, 1, 1 }, { 20, 50, 80 }, { 10, 40, 70 } }).Within(1e-3));
        Assert.That(Make.Channel(s.Image, 2), Is.EqualTo(new float[,] { { 3, 3, 3 }, { 220, 250, 280 }, { 210, 240, 270 } }).Within(1e-3));
    }

    [Test]
    public void RandRotateSkipsWithProbabilityAndKeepsLabelsNearest()
    {
        var s = new Sample(Make.Image(3, 3, (y, x) => 0), Make.Label(new[,] { { 0, 1, 2 }, { 3, 4, 5 }, { 6, 7, 8 } }));
        var before = s.Label;
        new RandRotate(-10, 10, ImageNet.Mean255).Apply(s, new ScriptedRng(0.5));
        Assert.That(s.Label, Is.SameAs(before));

        var big = new Sample(Make.Image(9, 11, (y, x) => x), new LabelMap(9, 11, Enumerable.Range(0, 99).Select(i => (byte)(i % 7)).ToArray()));
        new RandRotate(-10, 10, ImageNet.Mean255).Apply(big, new ScriptedRng(0.1, 0.8)); // +6 degrees
        Assert.That(big.Label!.Data.All(v => v < 7 || v == 255), "nearest labels never blend values");
        Assert.That(big.Label.Data, Does.Contain((byte)255), "corners are padded with the ignore label");
    }

    [Test]
    public void GaussianBlurUsesOpenCvsFixed5TapKernel()
    {
        var s = new Sample(Make.Image(7, 7, (y, x) => y == 3 && x == 3 ? 256 : 0), null);
        new RandomGaussianBlur().Apply(s, new ScriptedRng(0.3));
        int[] k = [0, 1, 4, 6, 4, 1, 0];
        var expected = new float[7, 7];
        for (int y = 0; y < 7; y++) for (int x = 0; x < 7; x++) expected[y, x] = k[y] * k[x];
        Assert.That(Make.Channel(s.Image), Is.EqualTo(expected).Within(1e-3));
    }

    [Test]
    public void GaussianBlurReflects101AtTheBorder()
    {
        // Impulse at the centre of a 5-wide row: the taps at -2 and +2 of x = 0 both reach index 2 -> [2 4 6 4 2]/16.
        var mid = new Sample(Make.Image(1, 5, (y, x) => x == 2 ? 16 : 0), null);
        new RandomGaussianBlur().Apply(mid, new ScriptedRng(0.0));
        Assert.That(Make.Channel(mid.Image), Is.EqualTo(new float[,] { { 2, 4, 6, 4, 2 } }).Within(1e-4));

        var s = new Sample(Make.Image(5, 5, (y, x) => y == 0 && x == 0 ? 256 : 0), null);
        new RandomGaussianBlur().Apply(s, new ScriptedRng(0.0));
        int[] k = [6, 4, 1, 0, 0];
        var expected = new float[5, 5];
        for (int y = 0; y < 5; y++) for (int x = 0; x < 5; x++) expected[y, x] = k[y] * k[x];
        Assert.That(Make.Channel(s.Image), Is.EqualTo(expected).Within(1e-3));

        var skip = new Sample(Make.Image(5, 5, (y, x) => x), null);
        var img = skip.Image;
        new RandomGaussianBlur().Apply(skip, new ScriptedRng(0.5));
        Assert.That(skip.Image, Is.SameAs(img));
    }

    [Test]
    public void HorizontalFlipMirrorsBothOrNeither()
    {
        var s = Row([1, 2, 3], [4, 5, 6]);
        new RandomHorizontalFlip().Apply(s, new ScriptedRng(0.4));
        Assert.That(Row0(s.Image), Is.EqualTo(new float[] { 3, 2, 1 }));
        Assert.That(s.Label!.Data, Is.EqualTo(new byte[] { 6, 5, 4 }));
        new RandomHorizontalFlip().Apply(s, new ScriptedRng(0.5));
        Assert.That(s.Label!.Data, Is.EqualTo(new byte[] { 6, 5, 4 }));
    }

    [Test]
    public void CropPadsHalfBeforeAndRestAfterWithMeanAnd255()
    {
        var s = new Sample(Make.Image(2, 2, (y, x) => 50 + y * 2 + x), Make.Label(new[,] { { 1, 2 }, { 3, 4 } }));
        new Crop(4, 5, CropType.Center, [7, 8, 9]).Apply(s, new ScriptedRng());
        Assert.That(Make.Rows(s.Label!), Is.EqualTo(new[,]
        {
            { 255, 255, 255, 255, 255 }, { 255, 1, 2, 255, 255 }, { 255, 3, 4, 255, 255 }, { 255, 255, 255, 255, 255 },
        }));
        Assert.That(Make.Channel(s.Image, 0), Is.EqualTo(new float[,]
        {
            { 7, 7, 7, 7, 7 }, { 7, 50, 51, 7, 7 }, { 7, 52, 53, 7, 7 }, { 7, 7, 7, 7, 7 },
        }));
        Assert.That(s.Image[0, 0, 1], Is.EqualTo(8));
        Assert.That(s.Image[3, 4, 2], Is.EqualTo(9));
    }

    static LabelMap Grid5() => new(5, 5, Enumerable.Range(0, 25).Select(i => (byte)i).ToArray());

    [Test]
    public void RandomCropUsesInclusiveRandintOffsets()
    {
        var s = new Sample(Make.Image(5, 5, (y, x) => 5 * y + x), Grid5());
        var rng = new ScriptedRng(3, 1);
        new Crop(2, 3, CropType.Random, ImageNet.Mean255).Apply(s, rng);
        Assert.That(rng.Remaining, Is.Zero);
        Assert.That(Make.Rows(s.Label!), Is.EqualTo(new[,] { { 16, 17, 18 }, { 21, 22, 23 } }));
        Assert.That(Make.Channel(s.Image), Is.EqualTo(new float[,] { { 16, 17, 18 }, { 21, 22, 23 } }));
    }

    [Test]
    public void CenterCropTruncatesTheOffset()
    {
        var s = new Sample(Make.Image(5, 5, (y, x) => 0), Grid5());
        new Crop(3, 3).Apply(s, new ScriptedRng());
        Assert.That(Make.Rows(s.Label!), Is.EqualTo(new[,] { { 6, 7, 8 }, { 11, 12, 13 }, { 16, 17, 18 } }));
        var s4 = new Sample(Make.Image(4, 4, (y, x) => 0), new LabelMap(4, 4, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray()));
        new Crop(3, 3).Apply(s4, new ScriptedRng());
        Assert.That(s4.Label![0, 0], Is.EqualTo(0)); // int((4 - 3) / 2) = 0
    }

    [Test]
    public void CropOfASmallImageWithoutPaddingIsAnError()
    {
        var s = new Sample(Make.Image(2, 2, (y, x) => 0), null);
        Assert.Throws<InvalidOperationException>(() => new Crop(3, 3).Apply(s, new ScriptedRng()));
    }

    [Test]
    public void ImageNetConstantsInBothUnits()
    {
        Assert.That(ImageNet.Mean255, Is.EqualTo(new[] { 123.675f, 116.28f, 103.53f }).Within(1e-3));
        Assert.That(ImageNet.Std255, Is.EqualTo(new[] { 58.395f, 57.12f, 57.375f }).Within(1e-3));
        Assert.That(ImageNet.Mean01[1] * 255, Is.EqualTo(ImageNet.Mean255[1]).Within(1e-3));
    }

    [Test]
    public void TrainPipelineIsDeterministicPerSeedAndCropsToSize()
    {
        Sample Run(ulong seed)
        {
            var s = new Sample(Make.Image(20, 30, (y, x) => (x * 7 + y * 3) % 200), new LabelMap(20, 30, Enumerable.Range(0, 600).Select(i => (byte)(i % 5)).ToArray()));
            SemsegTransforms.Train(17, 17, 0.5, 2.0).Apply(s, SampleRng.For(seed, 1, 2));
            return s;
        }
        var a = Run(7);
        var b = Run(7);
        Assert.That((a.Height, a.Width), Is.EqualTo((17, 17)));
        Assert.That(a.Image.Data, Is.EqualTo(b.Image.Data));
        Assert.That(a.Label!.Data, Is.EqualTo(b.Label!.Data));
        Assert.That(a.Label.Data.All(v => v < 5 || v == 255));
        var differs = Enumerable.Range(8, 6).Any(s => !Run((ulong)s).Image.Data.SequenceEqual(a.Image.Data));
        Assert.That(differs, "other seeds give other augmentations");
    }

    [Test]
    public void SampleRngIsReproducibleAndInRange()
    {
        var a = SampleRng.For(1, 2, 3);
        var b = SampleRng.For(1, 2, 3);
        var c = SampleRng.For(1, 2, 4);
        var xa = Enumerable.Range(0, 10).Select(_ => a.NextDouble()).ToArray();
        Assert.That(Enumerable.Range(0, 10).Select(_ => b.NextDouble()).ToArray(), Is.EqualTo(xa));
        Assert.That(Enumerable.Range(0, 10).Select(_ => c.NextDouble()).ToArray(), Is.Not.EqualTo(xa));
        var r = new SampleRng(5);
        var ints = Enumerable.Range(0, 1000).Select(_ => r.NextInt(-2, 3)).ToArray();
        Assert.That(ints.Min(), Is.EqualTo(-2));
        Assert.That(ints.Max(), Is.EqualTo(3));
        Assert.That(xa.All(v => v is >= 0 and < 1));
    }

    [Test]
    public void PlanarResizeIsTheImageResize()
    {
        // The evaluation path (planar probability maps, images) and the transforms (interleaved RGB) share the
        // OpenCV taps and blending: the same pixels come out either way.
        int h = 7, w = 11, oh = 17, ow = 5;
        var rng = new Random(3);
        var img = new RgbImage(h, w);
        for (int i = 0; i < img.Data.Length; i++) img.Data[i] = (float)(rng.NextDouble() * 255);
        var a = Resampling.ResizeBilinear(img, oh, ow, (double)oh / h, (double)ow / w);
        var planar = new float[3 * h * w];
        for (int c = 0; c < 3; c++) for (int p = 0; p < h * w; p++) planar[c * h * w + p] = img.Data[p * 3 + c];
        var b = Resampling.ResizeBilinearPlanar(planar, 3, h, w, oh, ow);
        for (int c = 0; c < 3; c++) for (int p = 0; p < oh * ow; p++) Assert.That(b[c * oh * ow + p], Is.EqualTo(a.Data[p * 3 + c]).Within(1e-4f));
        var lab = new LabelMap(h, w);
        for (int i = 0; i < lab.Data.Length; i++) lab.Data[i] = (byte)(i % 13);
        var n1 = Resampling.ResizeNearest(lab, oh, ow, (double)oh / h, (double)ow / w);
        Assert.That(Resampling.ResizeNearestPlane(lab.Data, h, w, oh, ow), Is.EqualTo(n1.Data));
    }
}
