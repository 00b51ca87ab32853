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

    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new JsonObject();
        if (metadata is not null && metadata.Count > 0)
        {
            var md = new JsonObject();
            foreach (var (k, v) in metadata) md[k] = v;
            header["__metadata__"] = md;
        }
        long offset = 0;
        foreach (var (name, t) in list)
        {
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved in safetensors");
            long bytes = t.Numel * 4;
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
            foreach (var (_, t) in list)
            {
                if (t.DType == DType.Int32) WriteLE(s, MemoryMarshal.AsBytes(t.ToIntArray().AsSpan()));
                else WriteLE(s, MemoryMarshal.AsBytes(t.ToArray().AsSpan()));
            }
        });
    }

    static void WriteLE(Stream s, ReadOnlySpan<byte> data)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        s.Write(data);
    }

    /// <summary>Reads every tensor onto `device` (checks offsets, sizes and dtypes; errors name the file and key).</summary>
    public static SafeTensorsFile Load(string path, Device device)
    {
        byte[] all;
        try { all = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"safetensors file not found: {path}", path); }
        if (all.Length < 8) throw new InvalidDataException($"{path}: too short for a safetensors file ({all.Length} bytes)");
        ulong hlen = BinaryPrimitives.ReadUInt64LittleEndian(all);
        if (hlen > MaxHeader || (long)hlen > all.Length - 8)
            throw new InvalidDataException($"{path}: header length {hlen} is invalid for a file of {all.Length} bytes");
        JsonObject header;
        try { header = JsonNode.Parse(all.AsSpan(8, (int)hlen))?.AsObject() ?? throw new InvalidDataException("null header"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: header is not valid JSON ({e.Message})"); }
        long dataStart = 8 + (long)hlen, dataLen = all.Length - dataStart;

        var meta = new Dictionary<string, string>();
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    if (node is JsonObject mo) foreach (var (k, v) in mo) meta[k] = v?.GetValue<string>() ?? "";
                    continue;
                }
                if (node is not JsonObject o) throw new InvalidDataException($"{path}: entry '{name}' is not an object");
                string dtype = o["dtype"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: '{name}' has no dtype");
                var shape = (o["shape"] as JsonArray ?? throw new InvalidDataException($"{path}: '{name}' has no shape"))
                    .Select(x => x!.GetValue<int>()).ToArray();
                var offs = o["data_offsets"] as JsonArray ?? throw new InvalidDataException($"{path}: '{name}' has no data_offsets");
                long b = offs[0]!.GetValue<long>(), e = offs[1]!.GetValue<long>();
                long n = Tensor.ShapeNumel(shape);
                int elem = dtype switch
                {
                    "F32" or "I32" => 4,
                    "F64" or "I64" => 8,
                    _ => throw new InvalidDataException($"{path}: '{name}' has dtype {dtype}; supported: F32, F64, I32, I64"),
                };
                if (b < 0 || e < b || e > dataLen || e - b != n * elem)
                    throw new InvalidDataException($"{path}: '{name}' data_offsets [{b}, {e}] do not fit shape [{string.Join(", ", shape)}] {dtype} in {dataLen} data bytes");
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
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return new SafeTensorsFile(tensors, meta);
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
