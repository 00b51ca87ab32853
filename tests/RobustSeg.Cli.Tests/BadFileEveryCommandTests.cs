using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NUnit.Framework;
using RobustSeg.Adversarial.Loading;
using RobustSeg.Adversarial.Training;
using RobustSeg.Config;
using RobustSeg.Engine;
using RobustSeg.Models;
using RobustSeg.Tests;

namespace RobustSeg.Cli.Tests;

/// <summary>The one error policy with damaged files: every command that reads files (train, test, attack, import,
/// data check, reproduce) is given a bad file of each kind it reads (config, list, image, label, checkpoint
/// .safetensors and .pth, optimizer state, backbone weights) and must exit 2 with a one-line message naming that
/// file in its last line (progress lines such as data check's report may come before it). gradcheck and bench read
/// no user files (bench checkpoint writes and reads its own).</summary>
[NonParallelizable] // the runner swaps Console.Out
public class BadFileEveryCommandTests
{
    string _dir = "", _data = "", _cfg = "", _good = "", _image = "", _label = "";
    readonly Dictionary<string, string> _bad = [];

    string[] Sets(string dataRoot) => ["--set", $"data_root={dataRoot}", "--set", $"save_path={_dir}/m", "--set", "batch_size=2",
        "--set", "train_h=33", "--set", "train_w=33", "--set", "test_h=33", "--set", "test_w=33", "--set", "base_size=33", "--set", "epochs=1"];

    [OneTimeSetUp]
    public void MakeFiles()
    {
        _dir = Directory.CreateTempSubdirectory("rs-badfiles-").FullName;
        _data = Path.Combine(_dir, "data");
        Assert.That(CliRunner.Capture("data", "synth", "--out", _data, "--train", "4", "--val", "2", "--size", "33").Code, Is.EqualTo(0));
        _cfg = Path.Combine(RepoPaths.Root, "config", "synthetic", "synthetic_psp18_nodefense.yaml");
        var first = File.ReadLines(Path.Combine(_data, "train.txt")).First().Split(' ');
        (_image, _label) = (Path.Combine(_data, first[0]), Path.Combine(_data, first[1]));
        var cfg = ConfigLoader.Load(_cfg, Sets(_data).Where((_, i) => i % 2 == 1));
        _good = Path.Combine(_dir, "good.safetensors");
        using (var model = ModelFactory.Create(ModelLoader.ConfigOf(cfg), Device.Cpu))
        {
            ModelFactory.Save(_good, model);
            using var opt = model.CreateOptimizer(0.01, 0.9, 1e-4);
            TrainCheckpoint.Save(Bad("resume.safetensors", null), model, opt, cfg, 1, 2);
        }
        // The optimizer state beside a training checkpoint, cut short.
        var optPath = Nn.IO.Checkpoint.OptimizerPath(_bad["resume.safetensors"]);
        File.WriteAllBytes(optPath, File.ReadAllBytes(optPath)[..20]);
        _bad["optim"] = optPath;

        var yaml = File.ReadAllBytes(_cfg);
        Bad("bad.yaml", [.. yaml[..(yaml.Length / 3)], .. "\n  train_h: [65\n\t\xff"u8.ToArray()]);
        Bad("bad-list.txt", Encoding.UTF8.GetBytes($"{first[0]} {first[1]} extra\n"));
        Bad("bad-image.jpg", File.ReadAllBytes(_image)[..60]);
        var label = File.ReadAllBytes(_label);
        label[^20] ^= 0x40;                                                   // inside the last IDAT chunk: CRC mismatch
        Bad("bad-label.png", label);
        var ckpt = File.ReadAllBytes(_good);
        ckpt[^3] ^= 0x01;                                                     // tensor bytes: SHA-256 mismatch
        Bad("bad-weights.safetensors", ckpt);
        Bad("huge-claim.safetensors", HugeClaim());
        Bad("bad.pth", TruncatedPickleZip());
        // Lists that name the bad image and label, for the commands that read data through a config or a list.
        var second = File.ReadLines(Path.Combine(_data, "train.txt")).Skip(1).First();
        File.WriteAllText(Path.Combine(_data, "list-bad-image.txt"), $"bad-image.jpg {first[1]}\n{second}\n");
        File.WriteAllText(Path.Combine(_data, "list-bad-label.txt"), $"{first[0]} bad-label.png\n{second}\n");
        File.Copy(_bad["bad-image.jpg"], Path.Combine(_data, "bad-image.jpg"));
        File.Copy(_bad["bad-label.png"], Path.Combine(_data, "bad-label.png"));
    }

    [OneTimeTearDown] public void Clean() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    string Bad(string name, byte[]? bytes)
    {
        var p = Path.Combine(_dir, name);
        if (bytes is not null) File.WriteAllBytes(p, bytes);
        return _bad[name] = p;
    }

    static byte[] HugeClaim()
    {
        var md = string.Join(",", new ModelConfig("psp", 152, 255, Width: 4).ToMetadata().Select(kv => $"\"{kv.Key}\":\"{kv.Value}\""));
        var json = Encoding.UTF8.GetBytes($"{{\"__metadata__\":{{{md}}},\"cls.4.bias\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}}}");
        var head = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(head, (ulong)json.Length);
        return [.. head, .. json, 0, 0, 0, 0];
    }

    static byte[] TruncatedPickleZip()
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open())
            s.Write([0x80, 0x02, (byte)'}', (byte)'X', 0xF0, 0xFF, 0xFF, 0x7F, (byte)'a']);  // BINUNICODE of 2 GB, 1 byte there
        return ms.ToArray();
    }

    IEnumerable<(string Case, string[] Args, string BadFile)> Cases()
    {
        string[] Train(params string[] extra) => ["train", "--config", _cfg, "--device", "cpu", "--quiet", .. Sets(_data), .. extra];
        string[] Test(string ckpt, params string[] extra) => ["test", "--config", _cfg, "--checkpoint", ckpt, "--device", "cpu", "--no-images", "--save-dir", Path.Combine(_dir, "r"), .. Sets(_data), .. extra];
        string[] Attack(string ckpt, string image, string? label) => ["attack", "--config", _cfg, "--checkpoint", ckpt, "--image", image, .. (label is null ? Array.Empty<string>() : ["--label", label]),
            "--out", Path.Combine(_dir, "a"), "--device", "cpu", .. Sets(_data)];
        var b = _bad;
        yield return ("train/config", ["train", "--config", b["bad.yaml"], "--device", "cpu"], b["bad.yaml"]);
        yield return ("train/list", Train("--set", $"train_list={b["bad-list.txt"]}"), b["bad-list.txt"]);
        yield return ("train/image", Train("--set", "train_list=list-bad-image.txt"), "bad-image.jpg");
        yield return ("train/label", Train("--set", "train_list=list-bad-label.txt"), "bad-label.png");
        yield return ("train/backbone", Train("--set", $"backbone_weights={b["bad.pth"]}"), b["bad.pth"]);
        yield return ("train/resume-optimizer", Train("--resume", b["resume.safetensors"]), b["optim"]);
        yield return ("train/resume-weights", Train("--resume", b["bad-weights.safetensors"]), b["bad-weights.safetensors"]);
        yield return ("test/config", ["test", "--config", b["bad.yaml"], "--checkpoint", _good, "--device", "cpu"], b["bad.yaml"]);
        yield return ("test/checkpoint", Test(b["bad-weights.safetensors"]), b["bad-weights.safetensors"]);
        yield return ("test/huge-claim", Test(b["huge-claim.safetensors"]), b["huge-claim.safetensors"]);
        yield return ("test/pth", Test(b["bad.pth"]), b["bad.pth"]);
        yield return ("test/source-checkpoint", Test(_good, "--attack", "bim", "--source-checkpoint", b["bad-weights.safetensors"]), b["bad-weights.safetensors"]);
        yield return ("test/list", Test(_good, "--set", $"val_list={b["bad-list.txt"]}", "--set", $"test_list={b["bad-list.txt"]}"), b["bad-list.txt"]);
        yield return ("test/image", Test(_good, "--set", "val_list=list-bad-image.txt", "--set", "test_list=list-bad-image.txt"), "bad-image.jpg");
        yield return ("test/label", Test(_good, "--set", "val_list=list-bad-label.txt", "--set", "test_list=list-bad-label.txt"), "bad-label.png");
        yield return ("attack/config", ["attack", "--config", b["bad.yaml"], "--checkpoint", _good, "--image", _image, "--out", Path.Combine(_dir, "a")], b["bad.yaml"]);
        yield return ("attack/checkpoint", Attack(b["bad-weights.safetensors"], _image, null), b["bad-weights.safetensors"]);
        yield return ("attack/pth", Attack(b["bad.pth"], _image, null), b["bad.pth"]);
        yield return ("attack/image", Attack(_good, b["bad-image.jpg"], null), b["bad-image.jpg"]);
        yield return ("attack/label", Attack(_good, _image, b["bad-label.png"]), b["bad-label.png"]);
        yield return ("import/pth", ["import", "--pth", b["bad.pth"], "--out", Path.Combine(_dir, "i.safetensors")], b["bad.pth"]);
        yield return ("import/backbone", ["import", "--backbone", b["bad.pth"], "--out", Path.Combine(_dir, "i.safetensors")], b["bad.pth"]);
        yield return ("data-check/config", ["data", "check", "--config", b["bad.yaml"]], b["bad.yaml"]);
        yield return ("data-check/list", ["data", "check", "--list", b["bad-list.txt"], "--root", _data, "--classes", "5"], b["bad-list.txt"]);
        yield return ("data-check/image", ["data", "check", "--list", Path.Combine(_data, "list-bad-image.txt"), "--root", _data, "--classes", "5"], "bad-image.jpg");
        yield return ("data-check/label", ["data", "check", "--list", Path.Combine(_data, "list-bad-label.txt"), "--root", _data, "--classes", "5"], "bad-label.png");
    }

    [Test]
    public void EveryCommandGivesExit2NamingTheBadFile()
    {
        var problems = new List<string>();
        foreach (var (name, args, bad) in Cases())
        {
            var (code, _, err) = CliRunner.Capture(args);
            var last = err.Trim().Split('\n')[^1];                           // progress lines may come first
            if (code != 2 || !last.StartsWith("error: ", StringComparison.Ordinal) || !last.Contains(bad, StringComparison.Ordinal))
                problems.Add($"{name}: exit {code}, expected 2 and one line naming {bad}: {err.Trim()[..Math.Min(600, err.Trim().Length)]}");
        }
        Assert.That(problems, Is.Empty, string.Join("\n", problems));
    }

    /// <summary>reproduce reuses the data in its work folder (made with the same options): a damaged image there
    /// ends the next training with exit 2 naming the image.</summary>
    [Test]
    public void ReproduceNamesADamagedImageInItsWorkFolder()
    {
        var work = Path.Combine(_dir, "work");
        var data = Path.Combine(work, "data");
        string[] Run(string regime) => ["reproduce", "--work-dir", work, "--quick", "--regimes", regime, "--epochs", "1", "--seeds", "1"];
        var (first, _, firstErr) = CliRunner.Capture(Run("nodefense"));
        Assert.That(first, Is.EqualTo(0), firstErr);
        var img = Path.Combine(data, File.ReadLines(Path.Combine(data, "train.txt")).First().Split(' ')[0]);
        File.WriteAllBytes(img, File.ReadAllBytes(img)[..60]);
        // Another regime has no results yet, so it trains on the damaged data.
        var (code, _, err) = CliRunner.Capture(Run("sat"));
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain(Path.GetFileName(img)));
    }
}
