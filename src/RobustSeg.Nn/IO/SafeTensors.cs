using RobustSeg.Engine.IO;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RobustSeg.Engine;

namespace RobustSeg.Nn.IO;

/// <summary>What a safetensors file holds: named tensors (host copies) and the string metadata.</summary>
public sealed record SafeTensorsFile(Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) : IDisposable
{
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}

/// <summary>The safetensors format: 8-byte little-endian header length, a JSON header
/// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}} padded with spaces to
/// 8 bytes, then the raw little-endian data. F32 and I32 are written; F32, F64, I32, I64 are read
/// (64-bit values are narrowed with a range check).</summary>
public static class SafeTensors
{
    const long MaxHeader = 100L << 20;

    /// <summary>Metadata key of the SHA-256 of the whole data section (hex), written by this project.</summary>
    public const string HashKey = "robustseg.sha256";
    /// <summary>Prefix of the per-tensor SHA-256 keys ("robustseg.sha256:NAME"), to name what a damage hit.</summary>
    public const string TensorHashPrefix = "robustseg.sha256:";

    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        var list = tensors.ToList();
        // Host bytes first: their hashes go into the header, which precedes the data.
        var data = list.Select(kv => kv.Value.DType == DType.Int32
            ? MemoryMarshal.AsBytes(kv.Value.ToIntArray().AsSpan()).ToArray()
            : MemoryMarshal.AsBytes(kv.Value.ToArray().AsSpan()).ToArray()).ToList();
        var header = new JsonObject();
        var md = new JsonObject();
        if (metadata is not null)
            foreach (var (k, v) in metadata)
                if (!k.StartsWith(HashKey, StringComparison.Ordinal)) md[k] = v;
        using (var whole = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256))
        {
            for (int i = 0; i < list.Count; i++)
            {
                whole.AppendData(data[i]);
                md[TensorHashPrefix + list[i].Key] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data[i]));
            }
            md[HashKey] = Convert.ToHexStringLower(whole.GetHashAndReset());
        }
        header["__metadata__"] = md;
        long offset = 0;
        for (int i = 0; i < list.Count; i++)
        {
            var (name, t) = list[i];
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved in safetensors");
            long bytes = data[i].Length;
            header[name] = new JsonObject
            {
                ["dtype"] = t.DType == DType.Int32 ? "I32" : "F32",
                ["shape"] = new JsonArray(t.Shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int pad = (8 - json.Length % 8) % 8;
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(json.Length + pad));
            s.Write(len);
            s.Write(json);
            for (int i = 0; i < pad; i++) s.WriteByte((byte)' ');
            foreach (var d in data) s.Write(d);
        });
    }

    /// <summary>Checks the data section against the hashes this project writes: the table must list exactly the
    /// hashed tensors, and each tensor's bytes must match its SHA-256 (hashed in parallel; the whole-data hash is
    /// the fallback for a file with no per-tensor hashes). Files from other tools carry no hash and are trusted.</summary>
    static void VerifyIntegrity(string path, byte[] all, long dataStart, Dictionary<string, string> meta,
        List<(string Name, string DType, int[] Shape, long Begin, long End)> entries)
    {
        if (!meta.TryGetValue(HashKey, out var expected)) return;
        // The table must list exactly the tensors that were hashed (a damaged name is not a different tensor).
        var hashed = meta.Keys.Where(k => k.StartsWith(TensorHashPrefix, StringComparison.Ordinal)).Select(k => k[TensorHashPrefix.Length..]).ToHashSet();
        var listed = entries.Select(x => x.Name).ToHashSet();
        if (hashed.Count > 0 && !hashed.SetEquals(listed))
            throw new InvalidDataException($"{path}: the tensor table does not match the tensors that were written (the header is damaged): " +
                $"missing {string.Join(", ", hashed.Except(listed).Take(10))}; unexpected {string.Join(", ", listed.Except(hashed).Take(10))}");
        if (hashed.Count == 0)
        {
            var h = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(all.AsSpan((int)dataStart)));
            if (h != expected.ToLowerInvariant()) throw new InvalidDataException($"{path}: the tensor data does not match its SHA-256 (the file is damaged)");
            return;
        }
        var bad = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(entries, e =>
        {
            var h = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(all.AsSpan((int)(dataStart + e.Begin), (int)(e.End - e.Begin))));
            if (h != meta[TensorHashPrefix + e.Name].ToLowerInvariant()) bad.Add(e.Name);
        });
        if (!bad.IsEmpty)
        {
            var names = bad.OrderBy(n => n, StringComparer.Ordinal).ToList();
            throw new InvalidDataException($"{path}: the tensor data does not match its SHA-256 (the file is damaged); damaged tensors: " +
                $"{string.Join(", ", names.Take(20))}{(names.Count > 20 ? $" and {names.Count - 20} more" : "")}");
        }
    }

    /// <summary>Reads every tensor onto `device` (checks offsets, sizes and dtypes; errors name the file and key).
    /// <paramref name="verify"/> checks this project's SHA-256 of the data (off only to measure its cost).</summary>
    public static SafeTensorsFile Load(string path, Device device, bool verify = true)
    {
        byte[] all;
        try { all = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"safetensors file not found: {path}", path); }
        if (all.Length < 8) throw new InvalidDataException($"{path}: too short for a safetensors file ({all.Length} bytes)");
        ulong hlen = BinaryPrimitives.ReadUInt64LittleEndian(all);
        if (hlen > MaxHeader || (long)hlen > all.Length - 8)
            throw new InvalidDataException($"{path}: header length {hlen} is invalid for a file of {all.Length} bytes");
        var (entries, meta) = ReadTable(path, all.AsSpan(8, (int)hlen), all.Length - 8 - (long)hlen);
        long dataStart = 8 + (long)hlen;
        // Hashing runs beside the uploads; a mismatch throws before any tensor is handed out.
        var check = verify ? Task.Run(() => VerifyIntegrity(path, all, dataStart, meta, entries)) : Task.CompletedTask;
        // The whole table is checked before any tensor is allocated (a damaged header allocates nothing).
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, dtype, shape, b, e) in entries)
            {
                var src = all.AsSpan((int)(dataStart + b), (int)(e - b));
                tensors[name] = dtype switch
                {
                    "F32" => Tensor.FromArray(device, MemoryMarshal.Cast<byte, float>(src).ToArray(), shape),
                    "F64" => Tensor.FromArray(device, MemoryMarshal.Cast<byte, double>(src).ToArray().Select(v => (float)v).ToArray(), shape),
                    "I32" => Tensor.FromArray(device, MemoryMarshal.Cast<byte, int>(src).ToArray(), shape),
                    _ => Tensor.FromArray(device, Narrow(MemoryMarshal.Cast<byte, long>(src), path, name), shape),
                };
                tensors[name].Persist();
            }
            check.GetAwaiter().GetResult();
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            try { check.Wait(); } catch (AggregateException) { } // never leave the hashing task behind
            throw;
        }
        return new SafeTensorsFile(tensors, meta);
    }

    /// <summary>The header's tensor table and metadata, validated against the data size: every malformed value
    /// (bad UTF-8 or JSON, wrong JSON types, negative or overflowing shapes and offsets, sizes that disagree with the
    /// dtype) is an InvalidDataException naming the file and the entry.</summary>
    static (List<(string Name, string DType, int[] Shape, long Begin, long End)>, Dictionary<string, string>) ReadTable(
        string path, ReadOnlySpan<byte> json, long dataLen)
    {
        var entries = new List<(string, string, int[], long, long)>();
        var meta = new Dictionary<string, string>();
        string entry = "header";
        try
        {
            var header = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidDataException($"{path}: the header is null");
            foreach (var (name, node) in header)
            {
                entry = $"'{name}'";
                if (name == "__metadata__")
                {
                    if (node is JsonObject mo) foreach (var (k, v) in mo) meta[k] = v?.GetValue<string>() ?? "";
                    else if (node is not null) throw new InvalidDataException($"{path}: __metadata__ is not an object of strings");
                    continue;
                }
                if (node is not JsonObject o) throw new InvalidDataException($"{path}: entry '{name}' is not an object");
                string dtype = o["dtype"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: '{name}' has no dtype");
                var shapeNode = o["shape"] as JsonArray ?? throw new InvalidDataException($"{path}: '{name}' has no shape");
                var shape = shapeNode.Select(x => x?.GetValue<int>() ?? throw new InvalidDataException($"{path}: '{name}' has a null dimension")).ToArray();
                if (shape.Any(d => d < 0)) throw new InvalidDataException($"{path}: '{name}' has a negative dimension in [{string.Join(", ", shape)}]");
                if (o["data_offsets"] is not JsonArray offs || offs.Count != 2 || offs[0] is null || offs[1] is null)
                    throw new InvalidDataException($"{path}: '{name}' needs data_offsets [begin, end]");
                long b = offs[0]!.GetValue<long>(), e = offs[1]!.GetValue<long>();
                int elem = dtype switch
                {
                    "F32" or "I32" => 4,
                    "F64" or "I64" => 8,
                    _ => throw new InvalidDataException($"{path}: '{name}' has dtype {dtype}; supported: F32, F64, I32, I64"),
                };
                long bytes = checked(shape.Aggregate(1L, (acc, d) => checked(acc * d)) * elem);
                if (b < 0 || e < b || e > dataLen || e - b != bytes)
                    throw new InvalidDataException($"{path}: '{name}' data_offsets [{b}, {e}] do not fit shape [{string.Join(", ", shape)}] {dtype} in {dataLen} data bytes");
                entries.Add((name, dtype, shape, b, e));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: the safetensors header is damaged at {entry}: {e.Message}", e);
        }
        return (entries, meta);
    }

    static int[] Narrow(ReadOnlySpan<long> v, string path, string name)
    {
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] < int.MinValue || v[i] > int.MaxValue) throw new InvalidDataException($"{path}: '{name}' value {v[i]} does not fit int32");
            r[i] = (int)v[i];
        }
        return r;
    }
}
