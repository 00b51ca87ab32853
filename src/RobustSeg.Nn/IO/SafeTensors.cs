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

/// <summary>One row of a safetensors tensor table (offsets relative to the data section).</summary>
public sealed record SafeTensorsEntry(string Name, string DType, int[] Shape, long Begin, long End);

/// <summary>A safetensors header: the validated tensor table, the string metadata, where the data section starts.</summary>
public sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata, long DataStart)
{
    /// <summary>Names and shapes, to check against a module before anything is allocated.</summary>
    public Dictionary<string, int[]> Shapes() => Entries.ToDictionary(e => e.Name, e => e.Shape);
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
    /// <summary>Prefix of the per-tensor SHA-256 keys ("robustseg.sha256:NAME"), to name what a damage hit; read, no
    /// longer written (files of earlier versions).</summary>
    public const string TensorHashPrefix = "robustseg.sha256:";
    /// <summary>Prefix of the per-tensor chunked digests ("robustseg.sha256-8MiB:NAME", <see cref="ChunkedSha256"/>),
    /// what this project writes: checked in parallel chunks while the file is read.</summary>
    public const string ChunkedHashPrefix = "robustseg.sha256-8MiB:";
    /// <summary>Metadata key of the SHA-256 of the header's content: the tensor table and every metadata value but the
    /// digests. Damage to a shape, an offset or a metadata value (the model it claims, the epoch, the config) is an
    /// error too, found from the header alone.</summary>
    public const string HeaderHashKey = "robustseg.sha256-header";

    /// <summary>The header digest (hex): one JSON line per table entry (by name) and per metadata pair (by key), the
    /// digests themselves left out.</summary>
    static string HeaderDigest(IEnumerable<SafeTensorsEntry> entries, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var sb = new StringBuilder();
        foreach (var e in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            sb.Append(JsonSerializer.Serialize(new object[] { e.Name, e.DType, e.Shape, e.Begin, e.End })).Append('\n');
        foreach (var (k, v) in metadata.Where(kv => !kv.Key.StartsWith(HashKey, StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.Append(JsonSerializer.Serialize(new[] { k, v })).Append('\n');
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

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
        // The whole-data hash lets readers of earlier versions (which know only it and the plain per-tensor keys) check these files too.
        using (var whole = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256))
        {
            for (int i = 0; i < list.Count; i++)
            {
                whole.AppendData(data[i]);
                md[ChunkedHashPrefix + list[i].Key] = ChunkedSha256.Hash(data[i]);
            }
            md[HashKey] = Convert.ToHexStringLower(whole.GetHashAndReset());
        }
        long offset = 0;
        var entries = new List<SafeTensorsEntry>();
        for (int i = 0; i < list.Count; i++)
        {
            var (name, t) = list[i];
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved in safetensors");
            entries.Add(new SafeTensorsEntry(name, t.DType == DType.Int32 ? "I32" : "F32", t.Shape, offset, offset + data[i].Length));
            offset += data[i].Length;
        }
        md[HeaderHashKey] = HeaderDigest(entries, md.Select(kv => KeyValuePair.Create(kv.Key, kv.Value!.GetValue<string>())));
        header["__metadata__"] = md;
        foreach (var e in entries)
            header[e.Name] = new JsonObject
            {
                ["dtype"] = e.DType,
                ["shape"] = new JsonArray(e.Shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(e.Begin, e.End),
            };
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

    /// <summary>The hashes a tensor's bytes must match, by tensor name (null: the file carries no hash, as files from
    /// other tools; their bytes are trusted). The table must list exactly the hashed tensors (a damaged name is not a
    /// different tensor). A file with only the whole-data hash is checked here, in a pass of its own.</summary>
    static (Dictionary<string, string>? Hashes, bool Chunked) ExpectedHashes(string path, SafeTensorsHeader h)
    {
        if (!h.Metadata.TryGetValue(HashKey, out var whole)) return (null, false);
        bool chunked = h.Metadata.Keys.Any(k => k.StartsWith(ChunkedHashPrefix, StringComparison.Ordinal));
        var prefix = chunked ? ChunkedHashPrefix : TensorHashPrefix;
        var hashed = h.Metadata.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value.ToLowerInvariant());
        if (hashed.Count == 0)
        {
            using var fs = OpenRead(path);
            fs.Position = h.DataStart;
            if (Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(fs)) != whole.ToLowerInvariant())
                throw new InvalidDataException($"{path}: the tensor data does not match its SHA-256 (the file is damaged)");
            return (null, false);
        }
        var listed = h.Entries.Select(x => x.Name).ToHashSet();
        if (!listed.SetEquals(hashed.Keys))
            throw new InvalidDataException($"{path}: the tensor table does not match the tensors that were written (the header is damaged): " +
                $"missing {string.Join(", ", hashed.Keys.Except(listed).Take(10))}; unexpected {string.Join(", ", listed.Except(hashed.Keys).Take(10))}");
        return (hashed, chunked);
    }

    static FileStream OpenRead(string path)
    {
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"safetensors file not found: {path}", path); }
    }

    /// <summary>The header alone (8-byte length, JSON table, metadata), validated against the file's size: what a
    /// caller checks against the architecture before allocating a model or any tensor.</summary>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var fs = OpenRead(path);
        return ReadHeader(fs, path);
    }

    static SafeTensorsHeader ReadHeader(FileStream fs, string path)
    {
        long length = fs.Length;
        if (length < 8) throw new InvalidDataException($"{path}: too short for a safetensors file ({length} bytes)");
        Span<byte> len = stackalloc byte[8];
        fs.ReadExactly(len);
        ulong hlen = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (hlen > MaxHeader || (long)hlen > length - 8)
            throw new InvalidDataException($"{path}: header length {hlen} is invalid for a file of {length} bytes");
        var json = new byte[hlen];
        fs.ReadExactly(json);
        var (entries, meta) = ReadTable(path, json, length - 8 - (long)hlen);
        if (meta.TryGetValue(HeaderHashKey, out var digest) && !string.Equals(digest, HeaderDigest(entries, meta), StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: the header (tensor table or metadata) does not match its SHA-256 (the file is damaged)");
        return new SafeTensorsHeader(entries, meta, 8 + (long)hlen);
    }

    /// <summary>Reads every tensor onto `device` (checks offsets, sizes and dtypes; errors name the file and key).
    /// <paramref name="verify"/> checks this project's SHA-256 digests (off only to measure its cost): each tensor's
    /// 8 MiB chunks are hashed on the thread pool as soon as its bytes are read, while the next tensor is read and
    /// uploaded, so the file is read once and the hashing overlaps the rest of the load on every core.</summary>
    public static SafeTensorsFile Load(string path, Device device, bool verify = true)
    {
        using var fs = OpenRead(path);
        var h = ReadHeader(fs, path);
        var (expected, chunked) = verify ? ExpectedHashes(path, h) : (null, false);
        // The whole table is checked before any tensor is allocated (a damaged header allocates nothing).
        var tensors = new Dictionary<string, Tensor>();
        var checks = new List<Task<string?>>();
        try
        {
            foreach (var (name, dtype, shape, b, e) in h.Entries.OrderBy(x => x.Begin))
            {
                fs.Position = h.DataStart + b;
                var want = expected?[name];
                // Read straight into the array that is uploaded (F32, I32): one managed copy of the file in all.
                Tensor t;
                switch (dtype)
                {
                    case "F32": { var a = new float[(e - b) / 4]; fs.ReadExactly(MemoryMarshal.AsBytes(a.AsSpan())); Check(a); t = Tensor.FromArray(device, a, shape); break; }
                    case "I32": { var a = new int[(e - b) / 4]; fs.ReadExactly(MemoryMarshal.AsBytes(a.AsSpan())); Check(a); t = Tensor.FromArray(device, a, shape); break; }
                    default:
                    {
                        var raw = new byte[e - b];
                        fs.ReadExactly(raw);
                        Check(raw);
                        t = dtype == "F64" ? Tensor.FromArray(device, ToFloat(MemoryMarshal.Cast<byte, double>(raw)), shape)
                            : Tensor.FromArray(device, Narrow(MemoryMarshal.Cast<byte, long>(raw), path, name), shape);
                        break;
                    }
                }
                void Check<T>(T[] a) where T : unmanaged
                {
                    if (want is null) return;
                    checks.Add(chunked ? ChunkedSha256.VerifyAsync(a, want).ContinueWith(ok => ok.Result ? null : name, TaskScheduler.Default)
                        : Task.Run(() => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(MemoryMarshal.AsBytes(a.AsSpan()))) == want ? null : name));
                }
                tensors[name] = t.Persist();
            }
            var bad = Task.WhenAll(checks).GetAwaiter().GetResult().OfType<string>().Order(StringComparer.Ordinal).ToList();
            if (bad.Count > 0)
                throw new InvalidDataException($"{path}: the tensor data does not match its SHA-256 (the file is damaged); damaged tensors: " +
                    $"{string.Join(", ", bad.Take(20))}{(bad.Count > 20 ? $" and {bad.Count - 20} more" : "")}");
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            try { Task.WaitAll(checks); } catch (AggregateException) { } // never leave a hashing task behind
            throw;
        }
        return new SafeTensorsFile(tensors, h.Metadata);
    }

    static float[] ToFloat(ReadOnlySpan<double> v)
    {
        var r = new float[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = (float)v[i];
        return r;
    }

    /// <summary>The header's tensor table and metadata, validated against the data size: every malformed value
    /// (bad UTF-8 or JSON, wrong JSON types, negative or overflowing shapes and offsets, sizes that disagree with the
    /// dtype) is an InvalidDataException naming the file and the entry.</summary>
    static (List<SafeTensorsEntry>, Dictionary<string, string>) ReadTable(
        string path, ReadOnlySpan<byte> json, long dataLen)
    {
        var entries = new List<SafeTensorsEntry>();
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
                entries.Add(new SafeTensorsEntry(name, dtype, shape, b, e));
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
