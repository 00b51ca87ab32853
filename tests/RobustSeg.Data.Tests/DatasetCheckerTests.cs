namespace RobustSeg.Data.Tests;

public class DatasetCheckerTests
{
    [Test]
    public void EachBadInputIsReportedByKindWithCounts()
    {
        using var t = new TempDir();
        Make.WriteSample(t["good.png"], t["good_l.png"], 4, 4, 2);
        Make.WriteSample(t["nolabel.png"], t["unused.png"], 4, 4);
        Make.WriteSample(t["mismatch.png"], t["x.png"], 4, 4);
        PngLabelWriter.WriteGrey(t["mismatch_l.png"], new LabelMap(5, 4));
        Make.WriteSample(t["badval.png"], t["badval_l.png"], 4, 4, 7);
        File.WriteAllBytes(t["corrupt.jpg"], [0xFF, 0xD8, 0xFF, 1, 2, 3]);
        File.WriteAllBytes(t["corrupt_l.png"], [1, 2, 3]);
        File.WriteAllText(t["list.txt"], string.Join("\n",
            "good.png good_l.png", "missing.png good_l.png", "nolabel.png missing_l.png", "mismatch.png mismatch_l.png",
            "badval.png badval_l.png", "corrupt.jpg good_l.png", "good.png corrupt_l.png", "good.png"));
        var r = DatasetChecker.Check(SegDataset.FromList(t["list.txt"], t.Path), classes: 5);
        Assert.That(r.Samples, Is.EqualTo(8));
        Assert.That(r.Count(DataProblemKind.MissingImage), Is.EqualTo(1));
        Assert.That(r.Count(DataProblemKind.MissingLabel), Is.EqualTo(1));
        Assert.That(r.Count(DataProblemKind.SizeMismatch), Is.EqualTo(1));
        Assert.That(r.Count(DataProblemKind.BadLabelValues), Is.EqualTo(1));
        Assert.That(r.Count(DataProblemKind.UnreadableImage), Is.EqualTo(1));
        Assert.That(r.Count(DataProblemKind.UnreadableLabel), Is.EqualTo(1));
        Assert.That(r.Problems, Has.Count.EqualTo(6));
        Assert.That(r.Ok, Is.False);
        var bad = r.Problems.Single(p => p.Kind == DataProblemKind.BadLabelValues);
        Assert.That(bad.Path, Does.EndWith("badval_l.png"));
        Assert.That(bad.Message, Does.Contain("16 pixels").And.Contain("7 (x16)"));
        Assert.That(bad.Where, Does.EndWith("list.txt:5"));
        Assert.That(r.Problems.Single(p => p.Kind == DataProblemKind.MissingImage).Path, Does.EndWith("missing.png"));
        Assert.That(r.Problems.Single(p => p.Kind == DataProblemKind.UnreadableImage).Path, Does.EndWith("corrupt.jpg"));
        Assert.That(r.LabelHistogram[2], Is.EqualTo(16 * 3), "good label read for samples 1, 6 and 2's image-only twin");

        var text = new StringWriter();
        DatasetChecker.Print(r, text, "test");
        Assert.That(text.ToString(), Does.Contain("MissingImage: 1").And.Contain("FAILED: 6 problems"));
    }

    [Test]
    public void OversizedImagesAreReported()
    {
        using var t = new TempDir();
        Make.WriteSample(t["a.png"], t["a_l.png"], 10, 10);
        File.WriteAllText(t["list.txt"], "a.png a_l.png\n");
        var r = DatasetChecker.Check(SegDataset.FromList(t["list.txt"], t.Path, maxPixels: 50), classes: 2);
        Assert.That(r.Count(DataProblemKind.TooLarge), Is.EqualTo(2));
    }

    [Test]
    public void CleanDatasetPasses()
    {
        using var t = new TempDir();
        Make.WriteSample(t["a.png"], t["a_l.png"], 3, 3, 255);
        File.WriteAllText(t["list.txt"], "a.png a_l.png\n");
        var r = DatasetChecker.Check(SegDataset.FromList(t["list.txt"], t.Path), classes: 2);
        Assert.That(r.Ok);
        Assert.That(r.LabelHistogram[255], Is.EqualTo(9));
    }
}
