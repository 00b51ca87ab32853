using System.Security.Cryptography;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace RobustSeg.Distributed.Tests;

/// <summary>A job of 2 ranks where one fails (issue 14, 5d and 5e) stops as a whole, with an error that names the
/// rank, instead of hanging in a collective, and the last checkpoint written before stays intact.</summary>
[NonParallelizable]
public class FailureTests
{
    TinyData _data = null!;

    [OneTimeSetUp]
    public void Setup()
    {
        Jobs.RequireMpirun();
        _data = new TinyData();
        Jobs.Ok(2, _data.Dir, TinyData.Train("nodefense", "good", epochs: 2));
    }

    [OneTimeTearDown]
    public void TearDown() => _data?.Dispose();

    static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>A folder holding a copy of the good epoch-1 checkpoint, to resume from and write into.</summary>
    string Resumable(string name)
    {
        var dir = Path.Combine(_data.Dir, name);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Path.Combine(_data.Dir, "good"), "train_epoch_1*"))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    [Test]
    public void ABadImageOnOneRankStopsTheJobNamingTheRank()
    {
        var dir = Resumable("bad");
        var ckpt = Path.Combine(dir, "train_epoch_1.safetensors");
        var before = Hash(ckpt);
        // A copy of the data with one training image truncated: only the rank whose shard holds it fails.
        var data = Path.Combine(_data.Dir, "data_bad");
        CopyDir(Path.Combine(_data.Dir, "data"), data);
        File.WriteAllBytes(Path.Combine(data, "JPEGImages", "train_00005.jpg"), [0xFF, 0xD8, 0xFF]);
        var (rc, output) = Jobs.Run(2, _data.Dir, TinyData.Train("nodefense", "bad", epochs: 2,
            $"--resume bad/train_epoch_1.safetensors --set data_root=data_bad"));
        Assert.That(rc, Is.Not.EqualTo(0), output);
        Assert.That(output, Does.Match(@"error: rank [01]: .*train_00005\.jpg"), output);
        Assert.That(Hash(ckpt), Is.EqualTo(before), "the last good checkpoint is untouched");
        Assert.That(File.Exists(Path.Combine(dir, "train_epoch_2.safetensors")), Is.False);
    }

    [Test]
    public void AKilledRankStopsTheJobNamingTheRank()
    {
        var dir = Resumable("killed");
        var ckpt = Path.Combine(dir, "train_epoch_1.safetensors");
        var before = Hash(ckpt);
        // Rank 1 is killed (SIGKILL) 6 s after it starts; 200 epochs cannot finish before that.
        var (rc, output) = Jobs.Run(2, _data.Dir, TinyData.Train("nodefense", "killed", epochs: 200,
            "--resume killed/train_epoch_1.safetensors --quiet"),
            wrapper: "if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then (sleep 6; kill -9 $$) & fi; exec \"$@\"");
        Assert.That(rc, Is.Not.EqualTo(0), output);
        Assert.That(output, Does.Match(@"rank 1\b"), output);
        Assert.That(Hash(ckpt), Is.EqualTo(before), "the last good checkpoint is untouched");
        // Whatever else was saved before the kill is complete (safetensors hashes verified on load).
        foreach (var f in Directory.GetFiles(dir, "train_epoch_*.safetensors").Where(f => !f.Contains(".optim.")))
            Assert.DoesNotThrow(() => Jobs.Tensors(f), f);
    }

    [Test]
    public void RanksWithDifferentConfigsRefuseToTrain()
    {
        var (rc, output) = Jobs.Run(2, _data.Dir, TinyData.Train("nodefense", "mixed"),
            wrapper: "exec \"$@\" --set base_lr=0.0$((OMPI_COMM_WORLD_RANK + 1))");
        Assert.That(rc, Is.Not.EqualTo(0), output);
        Assert.That(output, Does.Contain("rank 1 started with a different config or code version than rank 0"), output);
        Assert.That(Directory.Exists(Path.Combine(_data.Dir, "mixed")) && Directory.GetFiles(Path.Combine(_data.Dir, "mixed"), "*.safetensors").Length > 0, Is.False);
    }

    static void CopyDir(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to));
    }
}
