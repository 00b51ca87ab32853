using RobustSeg.Engine;
namespace RobustSeg.Data.Tests;

public class SyntheticDatasetTests
{
    static readonly SyntheticOptions Small = new() { Train = 12, Val = 4, Size = 33, Classes = 5, Seed = 42 };

    static Dictionary<string, byte[]> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("data.yaml"))
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes);

    [Test]
    public void SameSeedWritesIdenticalFilesAndOtherSeedsDiffer()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        SyntheticDataset.Generate(a.Path, Small);
        SyntheticDataset.Generate(b.Path, Small);
        SyntheticDataset.Generate(c.Path, Small with { Seed = 43 });
        var fa = Files(a.Path);
        var fb = Files(b.Path);
        Assert.That(fb.Keys, Is.EquivalentTo(fa.Keys));
        foreach (var k in fa.Keys) Assert.That(fb[k], Is.EqualTo(fa[k]), k);
        var fc = Files(c.Path);
        Assert.That(fc["JPEGImages/train_00000.jpg"], Is.Not.EqualTo(fa["JPEGImages/train_00000.jpg"]));
    }

    [Test]
    public void WritesTheVocLayoutListsAndAConfigTheLoadersRead()
    {
        using var t = new TempDir();
        var info = SyntheticDataset.Generate(t.Path, Small);
        Assert.That(File.Exists(t["JPEGImages/val_00003.jpg"]));
        Assert.That(File.Exists(t["SegmentationClass/val_00003.png"]));
        Assert.That(File.ReadAllLines(t["ImageSets/Segmentation/train.txt"]), Has.Length.EqualTo(12));
        Assert.That(File.ReadAllLines(info.TrainList)[0], Is.EqualTo("JPEGImages/train_00000.jpg SegmentationClass/train_00000.png"));
        Assert.That(File.ReadAllLines(t["class_names.txt"]), Is.EqualTo(new[] { "background", "disc_stripes", "square_checker", "triangle_dots", "ring_grid" }));

        var voc = SegDataset.Voc(t.Path, "val");
        var list = SegDataset.FromList(info.ValList, info.Root);
        Assert.That(voc.Entries.Select(e => Path.GetFullPath(e.LabelPath!)), Is.EqualTo(list.Entries.Select(e => Path.GetFullPath(e.LabelPath!))));

        var cfg = DataConfig.Load(info.ConfigPath);
        Assert.That(cfg.Classes, Is.EqualTo(5));
        var report = DatasetChecker.Check(cfg.Dataset("train"), cfg.Classes);
        Assert.That(report.Ok, string.Join("\n", report.Problems));
        // Every option that changes the images is recorded (reproduce compares this line before reusing a dataset).
        Assert.That(File.ReadAllLines(info.ConfigPath), Does.Contain("# options: " + Small.Describe()));
        Assert.That(Small.Describe(), Does.Contain("noise=6").And.Contain("class_saturation=1").And.Contain("class_colours=true"));
        Assert.That((Small with { ClassSaturation = 0.5 }).Describe(), Is.Not.EqualTo(Small.Describe()));
    }

    [Test]
    public void LabelsHoldEveryClassABoundaryBandAndNothingElse()
    {
        var hist = new long[256];
        for (int i = 0; i < 20; i++)
        {
            var (img, lab) = SyntheticDataset.RenderSample(Small, 0, i);
            Assert.That((img.Height, img.Width, lab.Height, lab.Width), Is.EqualTo((33, 33, 33, 33)));
            Assert.That(img.Data.All(v => v is >= 0 and <= 255));
            foreach (var v in lab.Data) hist[v]++;
        }
        for (int k = 0; k < 5; k++) Assert.That(hist[k], Is.GreaterThan(0), $"class {k} appears");
        Assert.That(hist[255], Is.GreaterThan(0), "boundary band");
        Assert.That(Enumerable.Range(5, 250).Sum(v => hist[v]), Is.Zero);
        Assert.That(hist[0], Is.GreaterThan(hist[255]), "background dominates");
    }

    [Test]
    public void TheBandSeparatesEveryPairOfClasses()
    {
        // No two different classes touch (8-neighbourhood) without a 255 pixel between them.
        for (int i = 0; i < 5; i++)
        {
            var (_, lab) = SyntheticDataset.RenderSample(Small, 1, i);
            for (int y = 0; y < 33; y++)
                for (int x = 0; x < 33; x++)
                {
                    int v = lab[y, x];
                    if (v == 255) continue;
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            int yy = y + dy, xx = x + dx;
                            if (yy is < 0 or >= 33 || xx is < 0 or >= 33) continue;
                            Assert.That(lab[yy, xx], Is.EqualTo(v).Or.EqualTo(255), $"sample {i}: ({y},{x}) touches ({yy},{xx})");
                        }
                }
        }
    }

    /// <summary>Mean channel spread (max - min) over object pixels: how saturated the objects are.</summary>
    static double ObjectSaturation(SyntheticOptions o)
    {
        double sum = 0; long count = 0;
        for (int i = 0; i < 10; i++)
        {
            var (img, lab) = SyntheticDataset.RenderSample(o, 0, i);
            for (int p = 0; p < lab.Data.Length; p++)
            {
                if (lab.Data[p] is 0 or 255) continue;
                float r = img.Data[3 * p], g = img.Data[3 * p + 1], b = img.Data[3 * p + 2];
                sum += Math.Max(r, Math.Max(g, b)) - Math.Min(r, Math.Min(g, b));
                count++;
            }
        }
        return sum / count;
    }

    [Test]
    public void ClassSaturationPullsObjectColoursTowardsGrey()
    {
        var o = Small with { Noise = 0 };
        double full = ObjectSaturation(o), low = ObjectSaturation(o with { ClassSaturation = 0.35 });
        Assert.That(low, Is.LessThan(0.5 * full));
        // Same scene layout: the labels do not depend on the colours.
        Assert.That(SyntheticDataset.RenderSample(o with { ClassSaturation = 0.35 }, 0, 3).Label.Data,
            Is.EqualTo(SyntheticDataset.RenderSample(o, 0, 3).Label.Data));
        var e = Assert.Throws<UserInputException>(() => (o with { ClassSaturation = 0 }).Validate())!;
        Assert.That(e.Message, Does.Contain("saturation"));
    }

    [TestCase(64)]
    [TestCase(9)]
    public void BadSizesAreRefused(int size)
    {
        using var t = new TempDir();
        var e = Assert.Throws<UserInputException>(() => SyntheticDataset.Generate(t.Path, Small with { Size = size }))!;
        Assert.That(e.Message, Does.Contain("--size"));
    }

    [Test]
    public void TooManyClassesAreRefused()
    {
        using var t = new TempDir();
        Assert.That(Assert.Throws<UserInputException>(() => SyntheticDataset.Generate(t.Path, Small with { Classes = 50 }))!.Message, Does.Contain("--classes"));
    }
}
