using RobustSeg.Config;
namespace RobustSeg.Data.Tests;

public class DatasetTests
{
    [Test]
    public void ListFileReadsPairsAndImageOnlyLines()
    {
        using var t = new TempDir();
        File.WriteAllText(t["l.txt"], "a/1.jpg b/1.png\n\n  a/2.jpg\tb/2.png  \na/3.jpg\n");
        var e = ListFile.Read(t["l.txt"], "/root");
        Assert.That(e.Count, Is.EqualTo(3));
        Assert.That(e[0].ImagePath, Is.EqualTo(Path.Combine("/root", "a/1.jpg")));
        Assert.That(e[1].LabelPath, Is.EqualTo(Path.Combine("/root", "b/2.png")));
        Assert.That(e[1].Line, Is.EqualTo(3));
        Assert.That(e[2].LabelPath, Is.Null);
    }

    [Test]
    public void ListFileWithTooManyFieldsNamesFileAndLine()
    {
        using var t = new TempDir();
        File.WriteAllText(t["l.txt"], "a.jpg a.png\nx.jpg y.png z.png\n");
        var e = Assert.Throws<InvalidDataException>(() => ListFile.Read(t["l.txt"], ""))!;
        Assert.That(e.Message, Does.Contain("l.txt:2"));
    }

    [Test]
    public void EmptyOrMissingListIsAnError()
    {
        using var t = new TempDir();
        File.WriteAllText(t["empty.txt"], "\n\n");
        Assert.That(Assert.Throws<InvalidDataException>(() => ListFile.Read(t["empty.txt"], ""))!.Message, Does.Contain("no samples"));
        Assert.That(Assert.Throws<FileNotFoundException>(() => ListFile.Read(t["none.txt"], ""))!.Message, Does.Contain("none.txt"));
    }

    [Test]
    public void VocLayoutResolvesNamesAndPrefersSegmentationClassAug()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["ImageSets/Segmentation"]);
        File.WriteAllText(t["ImageSets/Segmentation/val.txt"], "2007_000032\n2007_000039\n");
        var e = Voc.Entries(t.Path, "val");
        Assert.That(e[1].ImagePath, Is.EqualTo(Path.Combine(t.Path, "JPEGImages", "2007_000039.jpg")));
        Assert.That(e[1].LabelPath, Is.EqualTo(Path.Combine(t.Path, "SegmentationClass", "2007_000039.png")));
        Directory.CreateDirectory(t["SegmentationClassAug"]);
        Assert.That(Voc.Entries(t.Path, "val")[0].LabelPath, Does.Contain("SegmentationClassAug"));
        Assert.Throws<FileNotFoundException>(() => Voc.Entries(t.Path, "train"));
    }

    [Test]
    public void LoadChecksImageAndLabelSizesNamingBothFiles()
    {
        using var t = new TempDir();
        ImageIO.WritePng(t["i.png"], Make.Image(4, 5, (y, x) => 0));
        PngLabelWriter.WriteGrey(t["l.png"], new LabelMap(4, 6));
        var ds = new SegDataset([new SampleEntry(t["i.png"], t["l.png"])]);
        var e = Assert.Throws<DataFileException>(() => ds.Load(0))!;
        Assert.That(e.Message, Does.Contain("l.png").And.Contain("i.png").And.Contain("6x4").And.Contain("5x4"));
    }

    [Test]
    public void ConfigReadsTheDataSectionAndResolvesPathsNextToIt()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["data"]);
        File.WriteAllText(t["data/train.txt"], "a.jpg a.png\n");
        File.WriteAllText(t["cfg.yaml"], "TRAIN:\n  arch: psp\nDATA:\n  data_root: data\n  train_list: data/train.txt\n  val_list: val.txt\n  classes: 21\n  label_format: cityscapes_labelids\n  max_pixels: 1000\n");
        var c = DataConfig.Load(t["cfg.yaml"]);
        Assert.That(c.DataRoot, Is.EqualTo(t["data"]));
        Assert.That(c.TrainList, Is.EqualTo(t["data/train.txt"]));
        Assert.That(c.ValList, Is.EqualTo("val.txt"), "missing lists are kept as given and reported when used");
        Assert.That(c.Classes, Is.EqualTo(21));
        Assert.That(c.LabelFormat, Is.EqualTo(LabelFormat.CityscapesLabelIds));
        Assert.That(c.MaxPixels, Is.EqualTo(1000));
        Assert.That(c.Dataset("train").Entries[0].ImagePath, Is.EqualTo(Path.Combine(t["data"], "a.jpg")));
        Assert.That(Assert.Throws<ConfigException>(() => c.Dataset("val"))!.Message, Does.Contain("DATA.val_list").And.Contain("val.txt"));
    }

    [Test]
    public void EmptyOptionalKeysMeanTheDefaults()
    {
        // The training config writes unset optional keys as `key:`; reading it back must give the defaults.
        using var t = new TempDir();
        File.WriteAllText(t["c.yaml"], "DATA:\n  data_root: x\n  classes: 3\n  max_pixels:\nTRAIN:\n  manual_seed: ~\n  weight:\n");
        var c = DataConfig.Load(t["c.yaml"]);
        Assert.That(c.MaxPixels, Is.EqualTo(ImageIO.DefaultMaxPixels));
        Assert.That(c.IgnoreLabel, Is.EqualTo(255));
    }

    [TestCase("DATA:\n  data_root: x\n  train_list: t.txt\n", "DATA.classes is missing")]
    [TestCase("DATA:\n  data_root: x\n  classes: many\n", "DATA.classes: expected an integer")]
    [TestCase("DATA:\n  data_root: x\n  classes: 0\n", "DATA.classes: expected 2..255, got 0")]
    [TestCase("DATA:\n  classes: 3\n", "DATA.data_root is missing")]
    [TestCase("TRAIN:\n  a: 1\n", "unknown key 'a' in section TRAIN")]
    [TestCase("DATA:\n  data_root: x\n  classes: 3\n  ignore_label: 255\n", "it belongs in section TRAIN")]
    [TestCase("DATA:\n  data_root: x\n  classes: 3\n  label_format: rgb\n", "DATA.label_format: expected auto, index or cityscapes_labelids, got 'rgb'")]
    [TestCase("DATA: [1, 2\n", "not valid YAML")]
    public void BadConfigsNameTheKey(string yaml, string message)
    {
        using var t = new TempDir();
        File.WriteAllText(t["c.yaml"], yaml);
        var e = Assert.Throws<ConfigException>(() => DataConfig.Load(t["c.yaml"]))!;
        Assert.That(e.Message, Does.Contain(message).And.Contain("c.yaml"));
    }
}
