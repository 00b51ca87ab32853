using RobustSeg.Engine;

namespace RobustSeg.Data.Tests;

public class DataLoaderTests
{
    static TempDir _dir = null!;
    static SyntheticDatasetInfo _info = null!;

    [OneTimeSetUp]
    public void Setup()
    {
        _dir = new TempDir();
        _info = SyntheticDataset.Generate(_dir.Path, new SyntheticOptions { Train = 10, Val = 3, Size = 17, Seed = 3 });
    }

    [OneTimeTearDown]
    public void TearDown() => _dir.Dispose();

    static SegDataset Train => SegDataset.FromList(_info.TrainList, _info.Root);

    static List<(float[] Img, int[] Lab, int[] Idx)> RunEpoch(DataLoader loader, int epoch)
    {
        var outp = new List<(float[], int[], int[])>();
        foreach (var b in loader.Epoch(epoch))
            using (b) outp.Add((b.Images.ToArray(), b.Labels!.ToIntArray(), b.Indices));
        return outp;
    }

    static DataLoader Loader(int workers, bool dropLast = true, PixelScale px = PixelScale.Raw255, int batch = 3) =>
        new(Train, SemsegTransforms.Train(17, 17, 0.5, 2.0), Device.Cpu,
            new DataLoaderOptions { BatchSize = batch, Workers = workers, Seed = 11, DropLast = dropLast, Pixels = px, Prefetch = 2 });

    [Test]
    public void SameSeedGivesTheSameBatchesWhateverTheWorkerCount()
    {
        var a = RunEpoch(Loader(0), 0);
        var b = RunEpoch(Loader(3), 0);
        Assert.That(a, Has.Count.EqualTo(3));
        for (int i = 0; i < a.Count; i++)
        {
            Assert.That(b[i].Idx, Is.EqualTo(a[i].Idx));
            Assert.That(b[i].Img, Is.EqualTo(a[i].Img));
            Assert.That(b[i].Lab, Is.EqualTo(a[i].Lab));
        }
        var again = RunEpoch(Loader(2), 0);
        Assert.That(again[2].Img, Is.EqualTo(a[2].Img));
    }

    [Test]
    public void EpochsReshuffleAndReaugment()
    {
        var l = Loader(2);
        var e0 = l.Order(0);
        var e1 = l.Order(1);
        Assert.That(e0, Is.Not.EqualTo(e1));
        Assert.That(e0.Order(), Is.EqualTo(Enumerable.Range(0, 10)));
        Assert.That(l.Order(0), Is.EqualTo(e0));
        var b0 = RunEpoch(l, 0);
        var b1 = RunEpoch(l, 1);
        Assert.That(b0[0].Img, Is.Not.EqualTo(b1[0].Img));
    }

    [Test]
    public void ShapesDropLastAndLabelValues()
    {
        var l = Loader(2, dropLast: false);
        Assert.That(l.BatchesPerEpoch, Is.EqualTo(4));
        int n = 0;
        foreach (var b in l.Epoch(0))
            using (b)
            {
                Assert.That(b.Images.Shape, Is.EqualTo(new[] { b.Count, 3, 17, 17 }));
                Assert.That(b.Labels!.Shape, Is.EqualTo(new[] { b.Count, 17, 17 }));
                Assert.That(b.Labels.ToIntArray().All(v => v is >= 0 and < 5 or 255));
                n += b.Count;
            }
        Assert.That(n, Is.EqualTo(10));
        Assert.That(Loader(2).BatchesPerEpoch, Is.EqualTo(3));
        Assert.Throws<ArgumentException>(() => Loader(1, batch: 11));
    }

    [Test]
    public void PixelScalesAreConsistent()
    {
        var raw = RunEpoch(Loader(1, px: PixelScale.Raw255), 0)[0].Img;
        var unit = RunEpoch(Loader(1, px: PixelScale.Unit), 0)[0].Img;
        Assert.That(unit.All(v => v is >= 0 and <= 1));
        for (int i = 0; i < raw.Length; i += 97)
        {
            Assert.That(unit[i], Is.EqualTo(raw[i] / 255).Within(1e-5));
        }
    }

    [Test]
    public void WorkerErrorsSurfaceInTheLoopNamingTheFile()
    {
        using var t = new TempDir();
        var lines = File.ReadAllLines(_info.TrainList).ToList();
        lines[4] = "JPEGImages/does_not_exist.jpg " + lines[4].Split(' ')[1];
        File.WriteAllLines(t["list.txt"], lines);
        var ds = SegDataset.FromList(t["list.txt"], _info.Root);
        var loader = new DataLoader(ds, SemsegTransforms.Val(17, 17), Device.Cpu,
            new DataLoaderOptions { BatchSize = 2, Workers = 2, Shuffle = false, Prefetch = 1 });
        int seen = 0;
        var e = Assert.Throws<DataLoadException>(() =>
        {
            foreach (var b in loader.Epoch(0)) using (b) seen++;
        })!;
        Assert.That(seen, Is.EqualTo(2), "batches before the bad one arrive");
        Assert.That(e.Message, Does.Contain("does_not_exist.jpg").And.Contain("list.txt:5"));
        Assert.That(e.InnerException, Is.InstanceOf<FileNotFoundException>());
        Assert.That(e.Index, Is.EqualTo(4));
    }

    [Test]
    public void DifferentSizesInOneBatchAreANamedError()
    {
        var loader = new DataLoader(Train, new RandScale(0.5, 2.0), Device.Cpu, new DataLoaderOptions { BatchSize = 4, Workers = 0, Seed = 1 });
        var e = Assert.Throws<DataLoadException>(() => { foreach (var b in loader.Epoch(0)) b.Dispose(); })!;
        Assert.That(e.Message, Does.Contain("Crop"));
    }

    [Test]
    public void BreakingOutEarlyStopsTheWorkers()
    {
        var l = Loader(3, batch: 1);
        foreach (var b in l.Epoch(0)) { b.Dispose(); break; }
        Assert.That(RunEpoch(l, 0), Has.Count.EqualTo(10));
    }

    [Test]
    public void ImageOnlyListsGiveNoLabels()
    {
        using var t = new TempDir();
        File.WriteAllLines(t["list.txt"], File.ReadAllLines(_info.ValList).Select(l => l.Split(' ')[0]));
        var loader = new DataLoader(SegDataset.FromList(t["list.txt"], _info.Root), null, Device.Cpu, new DataLoaderOptions { BatchSize = 1, Shuffle = false });
        foreach (var b in loader.Epoch(0))
            using (b)
            {
                Assert.That(b.Labels, Is.Null);
                Assert.That(b.Images.Shape, Is.EqualTo(new[] { 1, 3, 17, 17 }));
            }
    }
}
