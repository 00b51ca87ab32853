using System.Buffers.Binary;
using RobustSeg.Nn.IO;

namespace RobustSeg.Nn.Tests;

/// <summary>Deterministic damage to a checkpoint this project wrote: truncations, byte flips in the first 4 KiB,
/// inflated 8-byte integers, zeroed spans. Each outcome is a correct load or an InvalidDataException naming the
/// file, never another exception, and a damage in the tensor bytes is caught by the SHA-256 and names the tensor.</summary>
public class SafeTensorsFuzzTests
{
    string _dir = "";
    [SetUp] public void SetUp() { _dir = Directory.CreateTempSubdirectory("rs-fuzz-").FullName; }
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    static Dictionary<string, Tensor> Model()
    {
        var rng = new Random(7);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        return new()
        {
            ["layer0.0.weight"] = Tensor.FromArray(Device.Cpu, R(8 * 3 * 3 * 3), 8, 3, 3, 3),
            ["layer0.1.running_mean"] = Tensor.FromArray(Device.Cpu, R(8), 8),
            ["layer0.1.num_batches_tracked"] = Tensor.FromArray(Device.Cpu, new[] { 5 }),
            ["cls.4.weight"] = Tensor.FromArray(Device.Cpu, R(4 * 8), 4, 8, 1, 1),
            ["cls.4.bias"] = Tensor.FromArray(Device.Cpu, R(4), 4),
        };
    }

    static IEnumerable<(string Name, Func<byte[], byte[]> Mutate)> Mutations(int length, int headerEnd)
    {
        foreach (var cut in new[] { 0, 4, 7, 8, 9, 16, headerEnd / 2, headerEnd - 1, headerEnd, headerEnd + 3, length - 1 })
            yield return ($"truncate@{cut}", b => b[..Math.Min(cut, b.Length)]);
        var rng = new Random(11);
        for (int i = 0; i < 16; i++)
        {
            int at = rng.Next(0, Math.Min(4096, length)); byte x = (byte)(1 << rng.Next(8));
            yield return ($"flip@{at}^{x}", b => { var c = (byte[])b.Clone(); c[at] ^= x; return c; });
        }
        foreach (var at in new[] { 0, 1, 4 })
            yield return ($"len64@{at}", b => { var c = (byte[])b.Clone(); BinaryPrimitives.WriteUInt64LittleEndian(c.AsSpan(at), ulong.MaxValue - 3); return c; });
        foreach (var (what, value) in new[] { ("8", "2000000000"), ("-", "-5"), ("big", "99999999999999999999") })
            yield return ($"shape:{what}", b => Replace(b, "[8,3,3,3]", $"[{value},3,3,3]"));
        yield return ("utf8", b => Replace(b, "\"F32\"", "\"\xff\xfe\""));
        yield return ("offsets-null", b => Replace(b, "\"data_offsets\":[0,", "\"data_offsets\":[null,"));
        yield return ("dtype-number", b => Replace(b, "\"dtype\":\"F32\"", "\"dtype\":7"));
        for (int i = 0; i < 4; i++)
        {
            int at = headerEnd + i * 97, len = 8 + i * 13;
            yield return ($"zero-data@{at}+{len}", b => { var c = (byte[])b.Clone(); Array.Clear(c, at, Math.Min(len, c.Length - at)); return c; });
        }
        yield return ("zero-header", b => { var c = (byte[])b.Clone(); Array.Clear(c, 12, 40); return c; });
    }

    static byte[] Replace(byte[] b, string from, string to)
    {
        var s = System.Text.Encoding.Latin1.GetString(b);
        return System.Text.Encoding.Latin1.GetBytes(s.Replace(from, to));
    }

    [Test]
    public void DamagedCheckpointsLoadCorrectlyOrFailNamingTheFile()
    {
        var good = Path.Combine(_dir, "good.safetensors");
        var model = Model();
        SafeTensors.Save(good, model, new Dictionary<string, string> { ["epoch"] = "1" });
        var bytes = File.ReadAllBytes(good);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        int loaded = 0, refused = 0;
        foreach (var (name, mutate) in Mutations(bytes.Length, headerEnd))
        {
            var path = Path.Combine(_dir, $"m-{loaded + refused}.safetensors");
            File.WriteAllBytes(path, mutate(bytes));
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var f = SafeTensors.Load(path, Device.Cpu);
                // A load that succeeds must give the original tensors (a flip that only touched header padding).
                Assert.That(f.Tensors.Keys, Is.EquivalentTo(model.Keys), name);
                foreach (var (k, t) in model)
                    Assert.That(f.Tensors[k].DType == DType.Int32 ? f.Tensors[k].ToIntArray().Select(v => (float)v).ToArray() : f.Tensors[k].ToArray(),
                        Is.EqualTo(t.DType == DType.Int32 ? t.ToIntArray().Select(v => (float)v).ToArray() : t.ToArray()), $"{name}: {k}");
                loaded++;
            }
            catch (InvalidDataException e)
            {
                Assert.That(e.Message, Does.Contain(path), name);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{name}: {e.GetType().Name}: {e.Message}");
            }
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(4L * bytes.Length + (1 << 20)), $"{name}: allocation bound");
        }
        Assert.That(refused, Is.GreaterThan(30), "most mutations must be refused");
        foreach (var t in model.Values) t.Dispose();
    }

    [Test]
    public void DamageInTensorBytesIsCaughtAndNamed()
    {
        var path = Path.Combine(_dir, "c.safetensors");
        var model = Model();
        SafeTensors.Save(path, model);
        var bytes = File.ReadAllBytes(path);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        // cls.4.bias is the last tensor: its last 4 bytes are the file's last 4.
        bytes[^2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path, Device.Cpu))!;
        Assert.That(e.Message, Does.Contain("SHA-256").And.Contain("cls.4.bias").And.Not.Contain("layer0.0.weight"));
        Assert.That(headerEnd, Is.LessThan(bytes.Length));
        foreach (var t in model.Values) t.Dispose();
    }
}
