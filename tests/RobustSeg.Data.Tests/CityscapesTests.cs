namespace RobustSeg.Data.Tests;

public class CityscapesTests
{
    [Test]
    public void LabelIdsMapToTheOfficialTrainIds()
    {
        var lut = Cityscapes.LabelIdToTrainId;
        var expected = new Dictionary<int, int>
        {
            [7] = 0, [8] = 1, [11] = 2, [12] = 3, [13] = 4, [17] = 5, [19] = 6, [20] = 7, [21] = 8, [22] = 9,
            [23] = 10, [24] = 11, [25] = 12, [26] = 13, [27] = 14, [28] = 15, [31] = 16, [32] = 17, [33] = 18,
        };
        for (int id = 0; id < 256; id++)
            Assert.That(lut[id], Is.EqualTo(expected.TryGetValue(id, out var t) ? t : 255), $"labelId {id}");
        // ignored in evaluation: unlabeled, ground, parking, rail track, guard rail, bridge, tunnel, polegroup, caravan, trailer
        foreach (var id in new[] { 0, 6, 9, 10, 14, 15, 16, 18, 29, 30 }) Assert.That(lut[id], Is.EqualTo(255));
    }

    static void WriteCity(string root, string split, string city, string stem, bool trainIds, bool labelIds)
    {
        var img = Path.Combine(root, "leftImg8bit", split, city, stem + "_leftImg8bit.png");
        ImageIO.WritePng(img, Make.Image(2, 3, (y, x) => x));
        var gt = Path.Combine(root, "gtFine", split, city, stem + "_gtFine_");
        if (labelIds) PngLabelWriter.WriteGrey(gt + "labelIds.png", Make.Label(new[,] { { 7, 26, 0 }, { 33, 9, 24 } }));
        if (trainIds) PngLabelWriter.WriteGrey(gt + "labelTrainIds.png", Make.Label(new[,] { { 1, 1, 1 }, { 2, 2, 2 } }));
    }

    [Test]
    public void LabelIdFilesAreMappedOnLoad()
    {
        using var t = new TempDir();
        WriteCity(t.Path, "val", "ulm", "ulm_000000_000019", trainIds: false, labelIds: true);
        var ds = SegDataset.Cityscapes(t.Path, "val");
        Assert.That(ds.Count, Is.EqualTo(1));
        Assert.That(ds.Entries[0].LabelPath, Does.EndWith("_labelIds.png"));
        Assert.That(Make.Rows(ds.Load(0).Label!), Is.EqualTo(new[,] { { 0, 13, 255 }, { 18, 255, 11 } }));
    }

    [Test]
    public void TrainIdFilesArePreferredAndReadAsIs()
    {
        using var t = new TempDir();
        WriteCity(t.Path, "train", "aachen", "aachen_000001_000019", trainIds: true, labelIds: true);
        WriteCity(t.Path, "train", "aachen", "aachen_000000_000019", trainIds: true, labelIds: true);
        var ds = SegDataset.Cityscapes(t.Path, "train");
        Assert.That(ds.Count, Is.EqualTo(2));
        Assert.That(ds.Entries[0].ImagePath, Does.Contain("aachen_000000_000019"), "sorted order");
        Assert.That(Make.Rows(ds.Load(1).Label!), Is.EqualTo(new[,] { { 1, 1, 1 }, { 2, 2, 2 } }));
    }

    [Test]
    public void ListFilesWithLabelIdsAreMappedByAutoButNotByIndex()
    {
        using var t = new TempDir();
        WriteCity(t.Path, "val", "ulm", "ulm_000000_000019", trainIds: false, labelIds: true);
        File.WriteAllText(t["val.txt"], "leftImg8bit/val/ulm/ulm_000000_000019_leftImg8bit.png gtFine/val/ulm/ulm_000000_000019_gtFine_labelIds.png\n");
        Assert.That(SegDataset.FromList(t["val.txt"], t.Path).Load(0).Label![0, 1], Is.EqualTo(13));
        Assert.That(SegDataset.FromList(t["val.txt"], t.Path, LabelFormat.Index).Load(0).Label![0, 1], Is.EqualTo(26));
    }

    [Test]
    public void MissingCityscapesFolderIsNamed()
    {
        using var t = new TempDir();
        var e = Assert.Throws<DirectoryNotFoundException>(() => Cityscapes.Entries(t.Path, "train"))!;
        Assert.That(e.Message, Does.Contain("leftImg8bit"));
    }
}
