using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace RobustSeg.Tests;

/// <summary>One deterministic damage to a file's bytes (shared by every format's fuzz test, linked into each test project).</summary>
public sealed record Mutation(string Name, Func<byte[], byte[]> Apply);

/// <summary>The mutations of issue 16: truncations, bit flips in the first 4 KiB, inflated 8-byte integers, zeroed
/// spans, and inflated 4-byte integers at given fields (pickle opcode operands, zip header fields). Seeded, so a
/// failure names a mutation that reproduces.</summary>
public static class FileMutations
{
    /// <summary>The four general kinds for a file of <paramref name="length"/> bytes; <paramref name="structure"/>
    /// adds cut points and 8-byte integer positions the format cares about (header ends, length fields).</summary>
    public static IEnumerable<Mutation> Standard(int length, int seed, IEnumerable<int>? structure = null, int flips = 16)
    {
        var rng = new Random(seed);
        var marks = (structure ?? []).Where(p => p >= 0 && p < length).Distinct().Order().ToList();
        var cuts = new SortedSet<int> { 0, 1, 4, 7, 8, 9, 16, length / 4, length / 2, length - 1 };
        foreach (var m in marks) { cuts.Add(m); cuts.Add(m + 1); }
        for (int i = 0; i < 3; i++) cuts.Add(rng.Next(length));
        foreach (var c in cuts.Where(c => c >= 0 && c < length)) yield return Truncate(c);
        for (int i = 0; i < flips; i++) yield return Flip(rng.Next(Math.Min(4096, length)), rng.Next(8));
        var at64 = new SortedSet<int>(marks.Where(m => m + 8 <= length)) { 0 };
        for (int i = 0; i < 3; i++) at64.Add(rng.Next(Math.Max(1, Math.Min(4096, length) - 8)));
        foreach (var a in at64.Where(a => a + 8 <= length))
            foreach (var v in new[] { ulong.MaxValue - 3, (ulong)long.MaxValue, 1UL << 40 })
                yield return Inflate64(a, v);
        yield return Zero(0, Math.Min(64, length));
        for (int i = 0; i < 4; i++)
        {
            int at = rng.Next(length), len = 8 + rng.Next(56);
            yield return Zero(at, len);
        }
    }

    /// <summary>Inflated 4-byte integers at each offset (big, all-ones, sign bit), at most <paramref name="max"/> offsets (spread evenly).</summary>
    public static IEnumerable<Mutation> Inflate32At(string what, IReadOnlyList<int> offsets, int max = 12)
    {
        var pick = offsets.Count <= max ? offsets : Enumerable.Range(0, max).Select(i => offsets[i * offsets.Count / max]).ToList();
        foreach (var o in pick)
            foreach (var v in new[] { 0x7FFF_FFF0u, 0xFFFF_FFFFu, 0x4000_0000u })
                yield return new Mutation($"{what}-int32@{o}={v:x}", b => With(b, c => { if (o + 4 <= c.Length) BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(o), v); }));
    }

    public static Mutation Truncate(int n) => new($"truncate@{n}", b => b[..Math.Min(n, b.Length)]);
    public static Mutation Flip(int at, int bit) => new($"flip@{at}^{1 << bit}", b => With(b, c => { if (at < c.Length) c[at] ^= (byte)(1 << bit); }));
    public static Mutation Zero(int at, int len) => new($"zero@{at}+{len}", b => With(b, c => Array.Clear(c, Math.Min(at, c.Length), Math.Max(0, Math.Min(len, c.Length - at)))));
    public static Mutation Inflate64(int at, ulong v) => new($"int64@{at}={v:x}", b => With(b, c => { if (at + 8 <= c.Length) BinaryPrimitives.WriteUInt64LittleEndian(c.AsSpan(at), v); }));

    /// <summary>A text edit (Latin-1, so any byte survives): for damage a random flip rarely reaches (a JSON type, a shape).</summary>
    public static Mutation Replace(string name, string from, string to) => new(name, b =>
    {
        var s = Encoding.Latin1.GetString(b);
        if (!s.Contains(from, StringComparison.Ordinal)) throw new InvalidOperationException($"mutation {name}: '{from}' not in the file");
        return Encoding.Latin1.GetBytes(s.Replace(from, to, StringComparison.Ordinal));
    });

    static byte[] With(byte[] b, Action<byte[]> edit) { var c = (byte[])b.Clone(); edit(c); return c; }

    /// <summary>Offsets (relative to <paramref name="pickle"/>) of the 4-byte operands of pickle opcodes: lengths of
    /// BINSTRING/BINUNICODE/BINBYTES/LONG4, BININT values, LONG_BINGET/PUT memo indices.</summary>
    public static List<int> PickleInt32Operands(ReadOnlySpan<byte> pickle)
    {
        var r = new List<int>();
        int i = 0;
        while (i < pickle.Length)
        {
            byte op = pickle[i++];
            switch ((char)op)
            {
                case '.': return r;
                case 'X': case 'T': case 'B': case '\x8b': r.Add(i); i += 4 + Math.Max(0, i + 4 <= pickle.Length ? BinaryPrimitives.ReadInt32LittleEndian(pickle[i..]) : 0); break;
                case 'J': case 'j': case 'r': r.Add(i); i += 4; break;
                case '\x8c': case 'U': case 'C': case '\x8a': i += 1 + (i < pickle.Length ? pickle[i] : 0); break;
                case 'K': case 'h': case 'q': case '\x80': i += 1; break;
                case 'M': i += 2; break;
                case 'G': case '\x95': i += 8; break;
                case '\x8d': case '\x8e': case '\x96': i += 8 + (i + 8 <= pickle.Length ? (int)Math.Clamp(BinaryPrimitives.ReadInt64LittleEndian(pickle[i..]), 0, pickle.Length) : 0); break;
                case 'c': case 'i': i = NextLine(pickle, NextLine(pickle, i)); break;
                case 'I': case 'L': case 'F': case 'P': case 'S': case 'V': case 'g': case 'p': i = NextLine(pickle, i); break;
                default: break;                                            // no operand
            }
        }
        return r;
    }

    static int NextLine(ReadOnlySpan<byte> p, int i)
    {
        int nl = p[i..].IndexOf((byte)'\n');
        return nl < 0 ? p.Length : i + nl + 1;
    }

    /// <summary>A zip's records, from its central directory (torch writes sizes there and in data descriptors, not in
    /// the local headers): each record's name, data offset and stored length, and the offsets of the 4-byte fields
    /// (CRC, sizes, offsets) of every local header, data descriptor, central directory record and the end record.</summary>
    public static (List<(string Name, int DataOffset, int Length)> Entries, List<int> HeaderInt32Fields) Zip(byte[] zip)
    {
        var entries = new List<(string, int, int)>();
        var fields = new List<int>();
        int eocd = -1;
        for (int i = zip.Length - 22; i >= 0; i--)
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) == 0x06054b50) { eocd = i; break; }
        if (eocd < 0) throw new InvalidOperationException("not a zip: no end of central directory record");
        fields.AddRange([eocd + 12, eocd + 16]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(eocd + 10));
        int c = BinaryPrimitives.ReadInt32LittleEndian(zip.AsSpan(eocd + 16));
        for (int k = 0; k < count; k++)
        {
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(c + 28)), extra = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(c + 30));
            int comment = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(c + 32));
            int size = BinaryPrimitives.ReadInt32LittleEndian(zip.AsSpan(c + 20)), local = BinaryPrimitives.ReadInt32LittleEndian(zip.AsSpan(c + 42));
            fields.AddRange([c + 16, c + 20, c + 24, c + 42]);
            int dataOffset = local + 30 + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(local + 26)) + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(local + 28));
            fields.AddRange([local + 14, local + 18, local + 22]);
            int desc = dataOffset + size;
            if ((BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(local + 6)) & 8) != 0 && desc + 16 <= zip.Length)
                fields.AddRange(BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(desc)) == 0x08074b50 ? [desc + 4, desc + 8, desc + 12] : [desc, desc + 4, desc + 8]);
            entries.Add((Encoding.UTF8.GetString(zip, c + 46, nameLen), dataOffset, size));
            c += 46 + nameLen + extra + comment;
        }
        return (entries, fields);
    }
}

/// <summary>Runs a loader over every mutation of a file and sorts each outcome: loaded correctly, or refused with an
/// input error (what the CLI turns into one line and exit 2) whose message names the file. Anything else (another
/// exception type, a message without the file, a load that returns wrong content, an allocation over the bound,
/// a load that runs past the time bound) is a failure, listed by mutation name.</summary>
public sealed class FuzzRun(string dir, string extension)
{
    public int Loaded { get; private set; }
    public int Refused { get; private set; }
    public List<string> Failures { get; } = [];
    int _n;

    /// <summary>Hang guard per load (generous: loads of these small files take milliseconds).</summary>
    public TimeSpan TimeBound { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>What the CLI reports as an input error (exit 2): the project's IUserInputError and the BCL's file errors.</summary>
    public static bool IsInputError(Exception e) =>
        e is RobustSeg.Engine.IUserInputError or InvalidDataException or EndOfStreamException or FileNotFoundException;

    /// <param name="load">Loads the file at the path; returns null when what it loaded is correct, else what is wrong.</param>
    /// <param name="allocationBound">Managed bytes one load may allocate (all threads), e.g. 3x the file's size.</param>
    public FuzzRun Run(byte[] original, IEnumerable<Mutation> mutations, Func<string, string?> load, long allocationBound)
    {
        foreach (var m in mutations)
        {
            var path = Path.Combine(dir, $"fuzz-{_n++:D3}{extension}");
            File.WriteAllBytes(path, m.Apply(original));
            long before = GC.GetTotalAllocatedBytes(precise: true);
            var sw = Stopwatch.StartNew();
            string outcome = "loaded";
            try
            {
                var wrong = load(path);
                if (wrong is null) Loaded++;
                else Failures.Add($"{m.Name}: loaded but wrong: {wrong}");
            }
            catch (Exception e) when (IsInputError(e))
            {
                outcome = "refused: " + e.Message;
                if (e.Message.Contains(path, StringComparison.Ordinal)) Refused++;
                else Failures.Add($"{m.Name}: {e.GetType().Name} does not name the file: {e.Message}");
            }
            catch (Exception e)
            {
                Failures.Add($"{m.Name}: {e.GetType().Name} (not an input error): {e.Message}");
            }
            sw.Stop();
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            if (allocated > allocationBound) Failures.Add($"{m.Name}: allocated {allocated} bytes, over the bound of {allocationBound} ({outcome})");
            if (sw.Elapsed > TimeBound) Failures.Add($"{m.Name}: took {sw.Elapsed.TotalSeconds:F1} s, over the hang guard of {TimeBound.TotalSeconds} s");
            File.Delete(path);
        }
        return this;
    }

    public override string ToString() => $"{Loaded} loaded, {Refused} refused, {Failures.Count} failures" +
        (Failures.Count == 0 ? "" : ":\n  " + string.Join("\n  ", Failures.Take(30)));
}
