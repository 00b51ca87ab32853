using System.Buffers.Binary;
using System.Text;
using RobustSeg.Nn.IO;
using RobustSeg.Tests;

namespace RobustSeg.Nn.Tests;

/// <summary>The shared fuzz (tests/Shared/FileFuzz.cs) on the safetensors files: a checkpoint this project wrote, a
/// foreign one (no metadata, no hash) and the optimizer-state file beside a checkpoint. Each mutation loads correctly
/// (ours: the same values; foreign: the same names and shapes, since its bytes carry no hash and are trusted) or is
/// refused with an input error naming the file; managed allocation per load stays under 2x the file's size + 1 MiB
/// (the file is read once into the arrays that are uploaded).</summary>
public class SafeTensorsFuzzTests
{
    string _dir = "";
    [SetUp] public void SetUp() { _dir = Directory.CreateTempSubdirectory("rs-fuzz-").FullName; }
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    /// <summary>A small conv + batch-norm model: float weights, an int32 buffer, several tensors.</summary>
    static Sequential Model(int seed) => new(new Conv2d(Device.Cpu, 3, 8, 3, rng: new SeededRandom((ulong)seed)), new BatchNorm2d(Device.Cpu, 8),
        new Conv2d(Device.Cpu, 8, 4, 1, rng: new SeededRandom((ulong)seed + 1), init: ConvInit.TorchDefault));

    static int HeaderEnd(byte[] b) => 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(b);

    /// <summary>The general mutations plus edits a flip rarely makes: JSON types, shapes, invalid UTF-8, null offsets.</summary>
    static IEnumerable<Mutation> Mutations(byte[] b, int seed) =>
        FileMutations.Standard(b.Length, seed, [8, HeaderEnd(b) / 2, HeaderEnd(b), HeaderEnd(b) + 3])
            .Concat([
                FileMutations.Replace("shape-big", "[8,3,3,3]", "[2000000000,3,3,3]"),
                FileMutations.Replace("shape-negative", "[8,3,3,3]", "[-5,3,3,3]"),
                FileMutations.Replace("shape-overflow", "[8,3,3,3]", "[99999999999999999999,3,3,3]"),
                FileMutations.Replace("utf8", "\"F32\"", "\"\xff\xfe\""),
                FileMutations.Replace("offsets-null", "\"data_offsets\":[0,", "\"data_offsets\":[null,"),
                FileMutations.Replace("dtype-number", "\"dtype\":\"F32\"", "\"dtype\":7"),
            ]);

    [Test]
    public void OurCheckpointLoadsCorrectlyOrFailsNamingTheFile()
    {
        using var model = Model(7);
        var sd = model.StateDict();
        var good = Path.Combine(_dir, "good.safetensors");
        SafeTensors.Save(good, sd, new Dictionary<string, string> { ["epoch"] = "1" });
        var bytes = File.ReadAllBytes(good);
        var run = new FuzzRun(_dir, ".safetensors").Run(bytes, Mutations(bytes, 11), path =>
        {
            using var f = SafeTensors.Load(path, Device.Cpu);
            return FuzzStateDicts.Compare(path, f.Tensors, sd, values: true);
        }, 2L * bytes.Length + (1 << 20));
        Assert.That(run.Failures, Is.Empty, run.ToString());
        Assert.That(run.Refused, Is.GreaterThan(run.Loaded), run.ToString());
    }

    /// <summary>A safetensors file written by another tool: no metadata, so no hash; damage in its tensor bytes cannot
    /// be seen (trusted, as the README says), damage anywhere else is refused.</summary>
    [Test]
    public void ForeignSafetensorsLoadOrFailNamingTheFile()
    {
        using var model = Model(3);
        var sd = model.StateDict();
        var bytes = Foreign(sd);
        var run = new FuzzRun(_dir, ".safetensors").Run(bytes, Mutations(bytes, 12), path =>
        {
            using var f = SafeTensors.Load(path, Device.Cpu);
            return FuzzStateDicts.Compare(path, f.Tensors, sd, values: false);
        }, 2L * bytes.Length + (1 << 20));
        Assert.That(run.Failures, Is.Empty, run.ToString());
    }

    /// <summary>What the safetensors Python library writes: the table sorted by name, no __metadata__, no padding rule beyond 8.</summary>
    static byte[] Foreign(IReadOnlyDictionary<string, Tensor> sd, Func<Dictionary<string, byte[]>, string>? metadataJson = null)
    {
        var parts = new List<string>();
        var data = new MemoryStream();
        var raws = new Dictionary<string, byte[]>();
        foreach (var (k, t) in sd.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var raw = t.DType == DType.Int32 ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToIntArray().AsSpan()).ToArray()
                : System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToArray().AsSpan()).ToArray();
            parts.Add($"\"{k}\":{{\"dtype\":\"{(t.DType == DType.Int32 ? "I32" : "F32")}\",\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{data.Length},{data.Length + raw.Length}]}}");
            data.Write(raw);
            raws[k] = raw;
        }
        if (metadataJson is not null) parts.Insert(0, $"\"__metadata__\":{metadataJson(raws)}");
        var json = Encoding.UTF8.GetBytes("{" + string.Join(",", parts) + "}");
        var padded = json.Concat(Enumerable.Repeat((byte)' ', (8 - json.Length % 8) % 8)).ToArray();
        var head = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(head, (ulong)padded.Length);
        return [.. head, .. padded, .. data.ToArray()];
    }

    /// <summary>The optimizer-state file beside a checkpoint (FILE.optim.safetensors), loaded through Checkpoint.Load with
    /// an optimizer: correct momentum buffers or an input error naming the optimizer file.</summary>
    [Test]
    public void OptimizerStateLoadsCorrectlyOrFailsNamingTheFile()
    {
        using var model = Model(5);
        using var opt = new SGD(model, lr: 0.1);
        foreach (var p in model.Parameters()) { using (Tensor.NoScope()) { p.Grad = Tensor.Full(Device.Cpu, 0.5f, p.Shape).Persist(); } }
        opt.Step();
        var ckpt = Path.Combine(_dir, "ckpt.safetensors");
        Checkpoint.Save(ckpt, model, new Dictionary<string, string>(), opt);
        var optPath = Checkpoint.OptimizerPath(ckpt);
        var bytes = File.ReadAllBytes(optPath);
        var want = opt.MomentumBuffers.ToDictionary(kv => kv.Key, kv => kv.Value);
        var run = new FuzzRun(_dir, ".bin").Run(bytes, Mutations(bytes, 13), path =>
        {
            File.Copy(path, optPath, overwrite: true);
            try
            {
                using var fresh = Model(5);
                using var o2 = new SGD(fresh, lr: 0.1);
                Checkpoint.Load(ckpt, fresh, o2);
                return o2.StepCount != 1 ? $"step {o2.StepCount}" : FuzzStateDicts.Compare(path, o2.MomentumBuffers, want, values: true);
            }
            catch (Exception e) when (FuzzRun.IsInputError(e) && e.Message.Contains(optPath, StringComparison.Ordinal))
            {
                // The file that is damaged is the optimizer file: name the fuzz copy for the harness.
                throw new InvalidDataException($"{path} (as {optPath}): {e.Message}", e);
            }
        }, 2L * (bytes.Length + new FileInfo(ckpt).Length) + (2 << 20));
        Assert.That(run.Failures, Is.Empty, run.ToString());
        foreach (var p in model.Parameters()) p.Grad?.Dispose();
    }

    [Test]
    public void DamageInTensorBytesIsCaughtAndNamed()
    {
        using var model = Model(7);
        var path = Path.Combine(_dir, "c.safetensors");
        SafeTensors.Save(path, model.StateDict());
        var bytes = File.ReadAllBytes(path);
        var h = SafeTensors.ReadHeader(path);
        var last = h.Entries.MaxBy(e => e.End)!;
        bytes[^2] ^= 0x10;   // inside the last tensor in the file
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path, Device.Cpu))!;
        Assert.That(e.Message, Does.Contain("SHA-256").And.Contain(last.Name).And.Contain(path));
        Assert.That(h.Entries.Count(x => e.Message.Contains(x.Name + ",", StringComparison.Ordinal) || e.Message.EndsWith(x.Name, StringComparison.Ordinal)), Is.EqualTo(1),
            "only the damaged tensor is named");
    }

    /// <summary>Files of the earlier version (a plain SHA-256 per tensor and of the whole data) are still checked.</summary>
    [Test]
    public void EarlierPerTensorHashesAreStillChecked()
    {
        using var model = Model(9);
        var sd = model.StateDict();
        string Hex(byte[] b) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(b));
        var bytes = Foreign(sd, raws => "{" + string.Join(",", raws.Select(kv => $"\"{SafeTensors.TensorHashPrefix}{kv.Key}\":\"{Hex(kv.Value)}\""))
            + $",\"{SafeTensors.HashKey}\":\"{Hex(raws.OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => kv.Value).ToArray())}\"}}");
        var path = Path.Combine(_dir, "v1.safetensors");
        File.WriteAllBytes(path, bytes);
        using (var f = SafeTensors.Load(path, Device.Cpu)) Assert.That(FuzzStateDicts.Compare(path, f.Tensors, sd, values: true), Is.Null);
        bytes[^1] ^= 0x08;
        File.WriteAllBytes(path, bytes);
        var last = sd.Keys.Max(StringComparer.Ordinal)!;                        // the foreign writer orders data by name
        Assert.That(Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path, Device.Cpu))!.Message, Does.Contain("SHA-256").And.Contain(last));
    }
}
