using System.IO.Compression;
using RobustSeg.Models.Import;
using RobustSeg.Tests;

namespace RobustSeg.Models.Tests;

/// <summary>The shared fuzz (tests/Shared/FileFuzz.cs) on original PyTorch checkpoints: the zip format (the general
/// mutations plus inflated 4-byte integers in the pickle's opcodes and in the zip's headers) and the legacy format.
/// Each load gives the original tensors or an input error naming the file; managed allocation per load stays under
/// 3x the file's size + 2 MiB (the records read once, one array per tensor; the fixed part is the pickle's objects
/// and the archive's tables, a few KiB per tensor, which dominate in these small test files).</summary>
public class PthFuzzTests
{
    string _dir = "";
    [SetUp] public void SetUp() { _dir = Directory.CreateTempSubdirectory("rs-pthfuzz-").FullName; }
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    static FuzzRun Fuzz(string dir, byte[] bytes, IEnumerable<Mutation> mutations, Dictionary<string, Tensor> want, bool values) =>
        new FuzzRun(dir, ".pth").Run(bytes, mutations, path =>
        {
            var sd = PthReader.ReadStateDict(path, Device.Cpu, out _);
            try { return FuzzStateDicts.Compare(path, sd, want, values); }
            finally { foreach (var t in sd.Values) t.Dispose(); }
        }, 3L * bytes.Length + (2 << 20));

    [Test]
    public void ZipCheckpointLoadsCorrectlyOrFailsNamingTheFile()
    {
        var src = TorchData.Pth("psp");
        var bytes = File.ReadAllBytes(src);
        var want = PthReader.ReadStateDict(src, Device.Cpu, out _);
        var (entries, headerFields) = FileMutations.Zip(bytes);
        var pkl = entries.Single(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
        var pickleOperands = FileMutations.PickleInt32Operands(bytes.AsSpan(pkl.DataOffset, pkl.Length)).Select(o => o + pkl.DataOffset).ToList();
        Assert.That(pickleOperands, Has.Count.GreaterThan(10), "the pickle's 4-byte operands were found");
        var firstRecord = entries.First(e => e.Name.Contains("/data/", StringComparison.Ordinal));
        var mutations = FileMutations.Standard(bytes.Length, 21, [pkl.DataOffset, pkl.DataOffset + pkl.Length, firstRecord.DataOffset, firstRecord.DataOffset + 5])
            .Concat(FileMutations.Inflate32At("pickle", pickleOperands))
            .Concat(FileMutations.Inflate32At("zip", headerFields))
            .Concat([FileMutations.Flip(firstRecord.DataOffset + 3, 4), FileMutations.Zero(firstRecord.DataOffset, 16)]);
        try
        {
            var run = Fuzz(_dir, bytes, mutations, want, values: true);
            Assert.That(run.Failures, Is.Empty, run.ToString());
            Assert.That(run.Refused, Is.GreaterThan(run.Loaded), run.ToString());
        }
        finally { foreach (var t in want.Values) t.Dispose(); }
    }

    /// <summary>The legacy format has no checksum: damage inside a storage's bytes cannot be seen (the values are
    /// trusted, as the README says); names and shapes must still be right or the file refused.</summary>
    [Test]
    public void LegacyCheckpointLoadsOrFailsNamingTheFile()
    {
        var src = TorchData.Pth("legacy");
        var bytes = File.ReadAllBytes(src);
        var want = PthReader.ReadStateDict(src, Device.Cpu, out _);
        var operands = FileMutations.PickleInt32Operands(bytes);
        var mutations = FileMutations.Standard(bytes.Length, 22, flips: 48).Concat(FileMutations.Inflate32At("pickle", operands));
        try
        {
            var run = Fuzz(_dir, bytes, mutations, want, values: false);
            Assert.That(run.Failures, Is.Empty, run.ToString());
        }
        finally { foreach (var t in want.Values) t.Dispose(); }
    }

    [Test]
    public void DamagedStoredRecordIsCaughtByItsCrc()
    {
        var bytes = File.ReadAllBytes(TorchData.Pth("psp"));
        var (entries, _) = FileMutations.Zip(bytes);
        var rec = entries.First(e => e.Name.Contains("/data/", StringComparison.Ordinal) && e.Length > 16);
        bytes[rec.DataOffset + 9] ^= 0x20;
        var path = Path.Combine(_dir, "crc.pth");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Catch<InvalidDataException>(() => PthReader.ReadStateDict(path, Device.Cpu, out _))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("CRC-32").And.Contain(rec.Name));
    }

    /// <summary>A .pth whose tensor declares the shape (2e9, 2e9) over a 4-element storage: a clear error naming the file
    /// and the tensor, nothing allocated for it.</summary>
    [Test]
    public void OverflowingShapeIsAClearError()
    {
        var path = Path.Combine(_dir, "huge.pth");
        TinyPth.Write(path, [2_000_000_000, 2_000_000_000], [2_000_000_000, 1], storageElements: 4);
        long before = GC.GetTotalAllocatedBytes(true);
        var e = Assert.Catch<InvalidDataException>(() => PthReader.ReadStateDict(path, Device.Cpu, out _))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("'w'"));
        Assert.That(GC.GetTotalAllocatedBytes(true) - before, Is.LessThan(16 << 20));
        TinyPth.Write(path, [3, 2], [-1, 1], storageElements: 6);
        Assert.That(Assert.Catch<InvalidDataException>(() => PthReader.ReadStateDict(path, Device.Cpu, out _))!.Message, Does.Contain("negative"));
        TinyPth.Write(path, [3, 2], [2, 1], storageElements: 6, offset: 1);
        Assert.That(Assert.Catch<InvalidDataException>(() => PthReader.ReadStateDict(path, Device.Cpu, out _))!.Message, Does.Contain("reads element 6"));
        TinyPth.Write(path, [5_000_000_000L, 2], [2, 1], storageElements: 6);
        Assert.That(Assert.Catch<InvalidDataException>(() => PthReader.ReadStateDict(path, Device.Cpu, out _))!.Message, Does.Contain(path));
        // A valid strided view still reads: the transpose of a 2x3 storage.
        TinyPth.Write(path, [3, 2], [1, 3], storageElements: 6);
        var sd = PthReader.ReadStateDict(path, Device.Cpu, out _);
        Assert.That(sd["w"].ToArray(), Is.EqualTo(new float[] { 0, 3, 1, 4, 2, 5 }));
        sd["w"].Dispose();
    }
}

/// <summary>Writes a minimal torch zip checkpoint {'w': tensor} with a chosen size, stride and offset over a float
/// storage holding 0, 1, 2, ... (pickle protocol 2, written opcode by opcode).</summary>
static class TinyPth
{
    public static void Write(string path, long[] size, long[] stride, int storageElements, int offset = 0)
    {
        var p = new MemoryStream();
        void B(params byte[] b) => p.Write(b);
        void Str(string s) { var u = System.Text.Encoding.UTF8.GetBytes(s); B((byte)'X'); B(BitConverter.GetBytes(u.Length)); B(u); }
        void Int(long v)
        {
            if (v is >= int.MinValue and <= int.MaxValue) { B((byte)'J'); B(BitConverter.GetBytes((int)v)); }
            else { B(0x8a, 8); B(BitConverter.GetBytes(v)); }                       // LONG1 of 8 bytes
        }
        void Global(string m, string n) { B((byte)'c'); B(System.Text.Encoding.ASCII.GetBytes($"{m}\n{n}\n")); }
        void Tuple(long[] v) { B((byte)'('); foreach (var x in v) Int(x); B((byte)'t'); }
        B(0x80, 2, (byte)'}');
        Str("w");
        Global("torch._utils", "_rebuild_tensor_v2");
        B((byte)'(');
        B((byte)'('); Str("storage"); Global("torch", "FloatStorage"); Str("0"); Str("cpu"); Int(storageElements); B((byte)'t', (byte)'Q');
        Int(offset); Tuple(size); Tuple(stride); B(0x89);
        Global("collections", "OrderedDict"); B((byte)')', (byte)'R');
        B((byte)'t', (byte)'R', (byte)'s', (byte)'.');
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Entry(string name, byte[] data) { using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open(); s.Write(data); }
        Entry("archive/data.pkl", p.ToArray());
        Entry("archive/byteorder", "little"u8.ToArray());
        Entry("archive/data/0", Enumerable.Range(0, storageElements).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray());
    }
}
