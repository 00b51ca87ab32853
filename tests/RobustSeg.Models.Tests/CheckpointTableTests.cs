using System.Buffers.Binary;
using System.Text;
using RobustSeg.Models.Import;
using RobustSeg.Config;
using RobustSeg.Nn.IO;
using RobustSeg.Tests;

namespace RobustSeg.Models.Tests;

/// <summary>Validate before allocating: a checkpoint's tensor table is checked against the architecture it claims,
/// from the header alone, before the model or any tensor exists, so a model never needs more values than the file
/// holds.</summary>
public class CheckpointTableTests
{
    /// <summary>A safetensors file whose metadata claims a model and whose table holds one tiny tensor.</summary>
    static string TinyClaim(ModelConfig claimed)
    {
        var path = Path.Combine(Path.GetTempPath(), $"rs-claim-{Guid.NewGuid():N}.safetensors");
        var md = string.Join(",", claimed.ToMetadata().Select(kv => $"\"{kv.Key}\":\"{kv.Value}\""));
        var json = Encoding.UTF8.GetBytes($"{{\"__metadata__\":{{{md}}},\"cls.4.bias\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}}}");
        var head = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(head, (ulong)json.Length);
        File.WriteAllBytes(path, [.. head, .. json, 0, 0, 0, 0]);
        return path;
    }

    [Test]
    public void HugeClaimInATinyFileFailsBeforeTheModelIsBuilt()
    {
        var claimed = new ModelConfig("psp", 152, ModelRules.MaxClasses, Width: ModelRules.MaxWidth);
        var path = TinyClaim(claimed);
        try
        {
            Assert.That(new FileInfo(path).Length, Is.LessThan(600));
            long before = GC.GetTotalAllocatedBytes(true);
            var e = Assert.Throws<StateDictMismatchException>(() => ModelFactory.Load(path, Device.Cpu))!;
            long allocated = GC.GetTotalAllocatedBytes(true) - before;
            Assert.That(e.Message, Does.Contain(path).And.Contain(claimed.Describe()));
            Assert.That(e.Missing, Has.Count.GreaterThan(100));
            // Building that model would allocate gigabytes of weights; laying out its table costs a few MB.
            Assert.That(allocated, Is.LessThan(64L << 20), $"{allocated} bytes allocated");
            Assert.That(ModelFactory.StateShapes(claimed, Device.Cpu).Values.Sum(s => Tensor.ShapeNumel(s)), Is.GreaterThan(500_000_000L),
                "the claimed model is huge");
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void StateShapesEqualTheBuiltModel()
    {
        foreach (var cfg in new[] { new ModelConfig("psp", 18, 5, Width: 0.0625), new ModelConfig("aspp", 50, 3, Ddcat: true, Width: 0.0625) })
        {
            using var m = ModelFactory.Create(cfg, Device.Cpu);
            var built = m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
            var laid = ModelFactory.StateShapes(cfg, Device.Cpu);
            Assert.That(laid.Keys, Is.EqualTo(built.Keys), cfg.Describe());
            foreach (var (k, s) in built) Assert.That(laid[k], Is.EqualTo(s), k);
        }
    }

    [Test]
    public void PthTableIsCheckedBeforeMaterialising()
    {
        // The psp reference checkpoint against a 6-class model: refused from the pickle alone (no tensor read).
        var cfg = TorchData.Config("psp") with { Classes = 6 };
        var e = Assert.Throws<StateDictMismatchException>(() => PthImport.Load(TorchData.Pth("psp"), cfg, Device.Cpu, false, out _))!;
        Assert.That(e.Message, Does.Contain(TorchData.Pth("psp")).And.Contain(cfg.Describe()));
    }

    /// <summary>The shared fuzz through ModelFactory.Load, as `test` loads a checkpoint: the metadata claims the model,
    /// so a damaged claim must fail from the header (its digest, or the table against the claimed architecture)
    /// before a model is built. Each load gives the saved weights and metadata or an input error naming the file,
    /// allocating under 3x the file's size + 4 MiB (a model the damage made bigger would exceed it).</summary>
    [Test]
    public void DamagedModelCheckpointsLoadCorrectlyOrFailBeforeBuilding()
    {
        var dir = Directory.CreateTempSubdirectory("rs-modelfuzz-").FullName;
        try
        {
            var cfg = new ModelConfig("psp", 18, 5, Width: 0.0625);
            using var saved = ModelFactory.Create(cfg, Device.Cpu);
            var good = Path.Combine(dir, "good.safetensors");
            ModelFactory.Save(good, saved, new Dictionary<string, string> { ["epoch"] = "3" });
            var want = saved.StateDict();
            var bytes = File.ReadAllBytes(good);
            int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            var mutations = FileMutations.Standard(bytes.Length, 61, [8, headerEnd / 2, headerEnd], flips: 40).Concat([
                FileMutations.Replace("claim-width", "\"model.width\":\"0.0625\"", "\"model.width\":\"4\""),
                FileMutations.Replace("claim-classes", "\"model.classes\":\"5\"", "\"model.classes\":\"255\""),
                FileMutations.Replace("claim-layers", "\"model.layers\":\"18\"", "\"model.layers\":\"152\""),
                FileMutations.Replace("epoch", "\"epoch\":\"3\"", "\"epoch\":\"8\""),
            ]);
            var run = new FuzzRun(dir, ".safetensors").Run(bytes, mutations, path =>
            {
                var (m, md) = ModelFactory.Load(path, Device.Cpu);
                using (m)
                    return md["epoch"] != "3" ? $"epoch {md["epoch"]}" : m.Config != cfg with { Seed = m.Config.Seed } ? m.Config.Describe()
                        : FuzzStateDicts.Compare(path, m.StateDict(), want, values: true);
            }, 3L * bytes.Length + (4 << 20));
            Assert.That(run.Failures, Is.Empty, run.ToString());
            Assert.That(run.Refused, Is.GreaterThan(run.Loaded), run.ToString());
        }
        finally { Directory.Delete(dir, true); }
    }
}
