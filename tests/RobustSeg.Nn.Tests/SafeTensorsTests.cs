using System.Buffers.Binary;
using System.Text;
using RobustSeg.Nn.IO;

namespace RobustSeg.Nn.Tests;

public class SafeTensorsTests
{
    string _dir = "";

    [SetUp] public void SetUp() { _dir = Path.Combine(Path.GetTempPath(), "rs-nn-" + Guid.NewGuid().ToString("N")); Directory.CreateDirectory(_dir); }
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [Test]
    public void RoundTripWithMetadataAndLayout()
    {
        var path = Path.Combine(_dir, "m.safetensors");
        using var a = Tensor.FromArray(Device.Cpu, [1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        using var b = Tensor.FromArray(Device.Cpu, new[] { 7 });
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = a, ["n"] = b }, new Dictionary<string, string> { ["epoch"] = "3" });
        var bytes = File.ReadAllBytes(path);
        long hlen = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That((8 + hlen) % 8, Is.EqualTo(0));
        var header = Encoding.UTF8.GetString(bytes, 8, (int)hlen);
        Assert.That(header, Does.Contain("\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"));
        Assert.That(header, Does.Contain("\"n\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[24,28]}"));
        Assert.That(BitConverter.ToSingle(bytes, 8 + (int)hlen + 4), Is.EqualTo(2f));
        using var f = SafeTensors.Load(path, Device.Cpu);
        Assert.That(f.Tensors["w"].ToArray(), Is.EqualTo(a.ToArray()));
        Assert.That(f.Tensors["w"].Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(f.Tensors["n"].ToIntArray(), Is.EqualTo(new[] { 7 }));
        Assert.That(f.Metadata["epoch"], Is.EqualTo("3"));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temp file left behind");
    }

    [Test]
    public void ReadsI64AndF64()
    {
        var path = Path.Combine(_dir, "x.safetensors");
        var header = "{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[16,24]}}";
        var ms = new MemoryStream();
        var hb = Encoding.UTF8.GetBytes(header);
        ms.Write(BitConverter.GetBytes((ulong)hb.Length)); ms.Write(hb);
        ms.Write(BitConverter.GetBytes(5L)); ms.Write(BitConverter.GetBytes(-3L)); ms.Write(BitConverter.GetBytes(2.5));
        File.WriteAllBytes(path, ms.ToArray());
        using var f = SafeTensors.Load(path, Device.Cpu);
        Assert.That(f.Tensors["a"].ToIntArray(), Is.EqualTo(new[] { 5, -3 }));
        Assert.That(f.Tensors["b"].ToArray(), Is.EqualTo(new[] { 2.5f }));
    }

    [Test]
    public void CorruptFilesGiveClearErrors()
    {
        var path = Path.Combine(_dir, "bad.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.That(Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path, Device.Cpu))!.Message, Does.Contain("bad.safetensors").And.Contain("too short"));
        var hb = Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}");
        var ms = new MemoryStream(); ms.Write(BitConverter.GetBytes((ulong)hb.Length)); ms.Write(hb); ms.Write(new byte[8]);
        File.WriteAllBytes(path, ms.ToArray());
        Assert.That(Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path, Device.Cpu))!.Message, Does.Contain("'w'").And.Contain("data_offsets"));
        hb = Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}");
        ms = new MemoryStream(); ms.Write(BitConverter.GetBytes((ulong)hb.Length)); ms.Write(hb); ms.Write(new byte[2]);
        File.WriteAllBytes(path, ms.ToArray());
        Assert.That(Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path, Device.Cpu))!.Message, Does.Contain("BF16"));
        ms = new MemoryStream(); ms.Write(BitConverter.GetBytes(1UL << 40)); File.WriteAllBytes(path, ms.ToArray());
        Assert.That(Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path, Device.Cpu))!.Message, Does.Contain("header length"));
    }

    sealed class Tiny : Module
    {
        public Tiny() { RegisterModule("c", new Conv2d(Device.Cpu, 2, 2, 1, rng: new SeededRandom(3))); RegisterModule("bn", new BatchNorm2d(Device.Cpu, 2)); }
    }

    [Test]
    public void CheckpointSavesModelOptimizerAndMetadata()
    {
        var path = Path.Combine(_dir, "ck.safetensors");
        using var m = new Tiny();
        using var opt = new SGD(m, 0.1);
        foreach (var (n, p) in m.NamedParameters())
            using (Tensor.NoScope()) p.Grad = Tensor.Full(Device.Cpu, 0.5f, p.Shape).Persist();
        opt.Step();
        Checkpoint.Save(path, m, new Dictionary<string, string> { ["epoch"] = "2", ["regime"] = "ddcat" }, opt);
        Assert.That(File.Exists(Checkpoint.OptimizerPath(path)));

        using var m2 = new Tiny();
        using var opt2 = new SGD(m2, 0.1);
        var md = Checkpoint.Load(path, m2, opt2);
        Assert.That(md["regime"], Is.EqualTo("ddcat"));
        Assert.That(m2.StateDict()["c.weight"].ToArray(), Is.EqualTo(m.StateDict()["c.weight"].ToArray()));
        Assert.That(opt2.StepCount, Is.EqualTo(1));
        Assert.That(opt2.MomentumBuffers["c.weight"].ToArray(), Is.EqualTo(opt.MomentumBuffers["c.weight"].ToArray()));
        foreach (var p in m.Parameters()) p.Grad?.Dispose();
    }

    [Test]
    public void CheckpointLoadIsStrict()
    {
        var path = Path.Combine(_dir, "ck.safetensors");
        using var t = Tensor.Zeros(Device.Cpu, 3);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["c.weight"] = t });
        using var m = new Tiny();
        var e = Assert.Throws<StateDictMismatchException>(() => Checkpoint.Load(path, m))!;
        Assert.That(e.Message, Does.Contain("ck.safetensors"));
        Assert.That(e.Missing, Does.Contain("bn.running_var"));
        Assert.That(e.MisShaped.Single(), Does.StartWith("c.weight"));
    }
}
