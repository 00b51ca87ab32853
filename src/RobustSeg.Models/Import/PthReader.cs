using System.Collections;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Razorvine.Pickle;
using RobustSeg.Engine;
using RobustSeg.Engine.IO;

namespace RobustSeg.Models.Import;

/// <summary>Reads the tensors of a PyTorch checkpoint (the zip format of torch.save since 1.6:
/// PREFIX/data.pkl + PREFIX/data/KEY blobs). The pickle is first scanned for globals (only those a state
/// dict needs are allowed, see <see cref="Allowed"/>), then unpickled with Razorvine.Pickle whose
/// constructors for those globals build lazy tensor references; blobs are read only for the tensors kept.</summary>
public static class PthReader
{
    /// <summary>Storage type -> (element bytes, dtype name).</summary>
    static readonly Dictionary<string, (int Bytes, string DType)> Storages = new()
    {
        ["FloatStorage"] = (4, "float32"), ["DoubleStorage"] = (8, "float64"), ["HalfStorage"] = (2, "float16"),
        ["BFloat16Storage"] = (2, "bfloat16"), ["LongStorage"] = (8, "int64"), ["IntStorage"] = (4, "int32"),
        ["ShortStorage"] = (2, "int16"), ["CharStorage"] = (1, "int8"), ["ByteStorage"] = (1, "uint8"), ["BoolStorage"] = (1, "bool"),
    };

    public static bool Allowed(string global) =>
        global is "collections.OrderedDict" or "torch._utils._rebuild_tensor_v2" or "torch._utils._rebuild_parameter"
        || global.StartsWith("torch.", StringComparison.Ordinal) && Storages.ContainsKey(global[6..]);

    static readonly object RegisterLock = new();
    static bool _registered;

    static void Register()
    {
        lock (RegisterLock)
        {
            if (_registered) return;
            Unpickler.registerConstructor("collections", "OrderedDict", new OrderedDictConstructor());
            Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", new RebuildTensor());
            Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", new RebuildParameter());
            foreach (var (name, (bytes, dtype)) in Storages)
                Unpickler.registerConstructor("torch", name, new StorageType(name, bytes, dtype));
            _registered = true;
        }
    }

    /// <summary>The unpickled top-level object with tensors as <see cref="TensorRef"/>, plus the open archive
    /// to read blobs from. Dispose closes the archive.</summary>
    public sealed class PthFile : IDisposable
    {
        internal ZipArchive? Zip { get; init; }
        internal string Prefix { get; init; } = "";
        /// <summary>Legacy format: storage key -> raw bytes.</summary>
        internal Dictionary<string, byte[]>? Blobs { get; init; }
        internal long FileLength { get; init; }
        public string Path { get; init; } = "";
        public object Root { get; init; } = null!;

        /// <summary>The tensor's values. Its size, stride and offset are checked against its storage before anything
        /// is allocated (a damaged file may declare any of them); a zip record's CRC-32 is checked on read.</summary>
        public Tensor Materialize(TensorRef r, Device device, string key)
        {
            var st = r.Storage;
            long numel = 1, last = r.Offset;
            if (r.Offset < 0) throw new InvalidDataException($"{Path}: tensor '{key}' has the negative storage offset {r.Offset}");
            try
            {
                for (int d = 0; d < r.Size.Length; d++)
                {
                    if (r.Size[d] < 0 || r.Stride[d] < 0)
                        throw new InvalidDataException($"{Path}: tensor '{key}' has size {Show(r.Size)} and stride {Show(r.Stride)}: negative values are not valid");
                    numel = checked(numel * r.Size[d]);
                    if (r.Size[d] > 0) last = checked(last + (r.Size[d] - 1) * r.Stride[d]);
                }
            }
            catch (OverflowException)
            {
                throw new InvalidDataException($"{Path}: tensor '{key}' has size {Show(r.Size)}, stride {Show(r.Stride)}, offset {r.Offset}: the extent overflows");
            }
            if (numel > Array.MaxLength)
                throw new InvalidDataException($"{Path}: tensor '{key}' has size {Show(r.Size)} ({numel} elements), more than one tensor can hold");
            if (numel > 0 && last >= st.Numel)
                throw new InvalidDataException($"{Path}: tensor '{key}' (size {Show(r.Size)}, stride {Show(r.Stride)}, offset {r.Offset}) reads element {last} of storage '{st.Key}', which has {st.Numel}");
            var raw = ReadStorage(st, key);
            return st.DType switch
            {
                "float32" => Tensor.FromArray(device, Gather(MemoryMarshal.Cast<byte, float>(raw), r, numel), r.Size),
                "float64" => Tensor.FromArray(device, Array.ConvertAll(Gather(MemoryMarshal.Cast<byte, double>(raw), r, numel), v => (float)v), r.Size),
                "float16" => Tensor.FromArray(device, Array.ConvertAll(Gather(MemoryMarshal.Cast<byte, Half>(raw), r, numel), v => (float)v), r.Size),
                "int64" => Tensor.FromArray(device, Array.ConvertAll(Gather(MemoryMarshal.Cast<byte, long>(raw), r, numel), v => v is >= int.MinValue and <= int.MaxValue ? (int)v
                    : throw new InvalidDataException($"{Path}: int64 value {v} of '{key}' does not fit int32")), r.Size),
                "int32" => Tensor.FromArray(device, Gather(MemoryMarshal.Cast<byte, int>(raw), r, numel), r.Size),
                _ => throw new InvalidDataException($"{Path}: tensor '{key}' has dtype {st.DType}; supported: float32, float64, float16, int64, int32"),
            };
        }

        /// <summary>A storage's bytes: its record must hold exactly the declared element count (checked before the
        /// buffer is allocated) and match its CRC-32.</summary>
        byte[] ReadStorage(StorageRef st, string key)
        {
            long declared = st.Numel >= 0 && st.Numel <= long.MaxValue / st.ElementBytes ? st.Numel * st.ElementBytes : -1;
            if (Blobs is not null)
            {
                var b = Blobs.TryGetValue(st.Key, out var v) ? v : throw new InvalidDataException($"{Path}: tensor '{key}' refers to storage '{st.Key}', which the file does not hold");
                if (b.LongLength != declared) throw new InvalidDataException($"{Path}: storage '{st.Key}' holds {b.LongLength} bytes but is declared with {st.Numel} elements");
                return b;
            }
            var entry = Zip!.GetEntry(Prefix + "data/" + st.Key)
                ?? throw new InvalidDataException($"{Path}: tensor '{key}' refers to storage '{st.Key}', but {Prefix}data/{st.Key} is not in the archive");
            if (entry.Length != declared)
                throw new InvalidDataException($"{Path}: {entry.FullName} holds {entry.Length} bytes but its storage is declared with {st.Numel} elements of {st.ElementBytes} bytes");
            return ReadEntry(entry, Path, FileLength);
        }

        public void Dispose() => Zip?.Dispose();
    }

    /// <summary>A zip record's bytes, checked against its CRC-32 (torch stores records uncompressed, and nothing else
    /// would notice a damaged byte in them). Sizes come from the archive's headers, so they are bounded by the file's
    /// length (x 1032, deflate's largest ratio) before the buffer is allocated.</summary>
    static byte[] ReadEntry(ZipArchiveEntry entry, string path, long fileLength)
    {
        if (entry.Length < 0 || entry.CompressedLength > fileLength || entry.Length > Math.Min(Array.MaxLength, Math.Max(1, fileLength) * 1032)
            || entry.CompressedLength == entry.Length && entry.Length > fileLength)
            throw new InvalidDataException($"{path}: zip record {entry.FullName} declares {entry.Length} bytes ({entry.CompressedLength} stored) in a file of {fileLength}");
        var raw = new byte[entry.Length];
        using (var s = entry.Open()) s.ReadExactly(raw);
        if (Crc32.Compute(raw) != entry.Crc32)
            throw new InvalidDataException($"{path}: zip record {entry.FullName} does not match its CRC-32 (the file is damaged)");
        return raw;
    }

    /// <summary>The elements a (size, stride, offset) view reads, in row-major order; contiguous views are one copy.</summary>
    static T[] Gather<T>(ReadOnlySpan<T> src, TensorRef r, long numel) where T : unmanaged
    {
        var dst = new T[numel];
        if (numel == 0) return dst;
        bool contiguous = true;
        long expect = 1;
        for (int d = r.Size.Length - 1; d >= 0; d--)
        {
            if (r.Size[d] != 1 && r.Stride[d] != expect) contiguous = false;
            expect *= r.Size[d];
        }
        if (contiguous) { src.Slice((int)r.Offset, (int)numel).CopyTo(dst); return dst; }
        var pos = new int[r.Size.Length];
        for (long n = 0; n < numel; n++)
        {
            long off = r.Offset;
            for (int d = 0; d < pos.Length; d++) off += pos[d] * r.Stride[d];
            dst[n] = src[(int)off];
            for (int d = pos.Length - 1; d >= 0; d--) { if (++pos[d] < r.Size[d]) break; pos[d] = 0; }
        }
        return dst;
    }

    static string Show<T>(T[] v) => "(" + string.Join(", ", v) + ")";

    /// <summary>Errors of a damaged file from the archive reader, the unpickler or our constructors, as one
    /// InvalidDataException naming the file (input errors that already name it pass through).</summary>
    static bool IsDamage(Exception e, string path) =>
        e is PickleException or InvalidCastException or IndexOutOfRangeException or ArgumentException or OverflowException
            or FormatException or KeyNotFoundException or EndOfStreamException or NotSupportedException
        || e is InvalidDataException && !e.Message.Contains(path, StringComparison.Ordinal)
        || e is IOException && e is not FileNotFoundException && e is not DirectoryNotFoundException && e is not UnsafePickleException && !e.Message.Contains(path, StringComparison.Ordinal);

    static InvalidDataException Damaged(Exception e, string path) =>
        new($"{path}: damaged or not a PyTorch checkpoint ({e.Message})", e);

    public static PthFile Open(string path)
    {
        Register();
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        long fileLength = new FileInfo(path).Length;
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException)
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length > 2 && bytes[0] == 0x80)
            {
                try { return OpenLegacy(path, bytes); }
                catch (Exception e) when (IsDamage(e, path)) { throw Damaged(e, path); }
            }
            throw new InvalidDataException($"{path}: neither a zip-format PyTorch checkpoint nor the legacy pickle format");
        }
        try
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                ?? throw new InvalidDataException($"{path}: no PREFIX/data.pkl in the archive (not a torch.save file?)");
            var prefix = pkl.FullName[..^"data.pkl".Length];
            var bo = zip.GetEntry(prefix + "byteorder");
            if (bo is not null)
            {
                var order = System.Text.Encoding.ASCII.GetString(ReadEntry(bo, path, fileLength)).Trim();
                if (order != "little") throw new InvalidDataException($"{path}: byteorder '{order}' is not supported (little only)");
            }
            var bytes = ReadEntry(pkl, path, fileLength);
            PickleGlobalScanner.Check(bytes, Allowed, path);
            object root;
            using (var u = new RestrictedUnpickler(path)) root = u.loads(bytes);
            return new PthFile { Zip = zip, Prefix = prefix, Path = path, Root = root, FileLength = fileLength };
        }
        catch (Exception e) when (IsDamage(e, path))
        {
            zip.Dispose();
            throw Damaged(e, path);
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>The pre-1.6 torch.save format: pickles of the magic number, protocol version and system info,
    /// the object (storages as persistent ids), the sorted storage keys, then per key an int64 element count and
    /// the raw little-endian data.</summary>
    static PthFile OpenLegacy(string path, byte[] bytes)
    {
        int pos = 0;
        object Next(bool restricted)
        {
            if (pos >= bytes.Length) throw new InvalidDataException($"{path}: legacy checkpoint ends early");
            int len = PickleGlobalScanner.Check(bytes.AsSpan(pos), Allowed, path);
            var slice = bytes[pos..(pos + len)];
            pos += len;
            if (!restricted) { using var plain = new Unpickler(); return plain.loads(slice); }
            using var u = new RestrictedUnpickler(path);
            return u.loads(slice);
        }
        var magic = Next(false);
        if (Convert.ToString(magic, System.Globalization.CultureInfo.InvariantCulture) != "119547037146038801333356")
            throw new InvalidDataException($"{path}: not a PyTorch checkpoint (bad magic number)");
        Next(false);                                                         // protocol version
        if (Next(false) is IDictionary info && info.Contains("little_endian") && info["little_endian"] is false)
            throw new InvalidDataException($"{path}: big-endian checkpoint not supported");
        var root = Next(true);
        var keys = (Next(false) as IEnumerable ?? throw new InvalidDataException($"{path}: storage key list missing"))
            .Cast<object>().Select(k => Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture)!).ToList();
        var refs = new Dictionary<string, int>();
        CollectStorages(root, refs);
        var blobs = new Dictionary<string, byte[]>();
        foreach (var k in keys)
        {
            if (pos + 8 > bytes.Length) throw new InvalidDataException($"{path}: storage '{k}' is truncated");
            long numel = BitConverter.ToInt64(bytes, pos);
            pos += 8;
            int elem = refs.TryGetValue(k, out var e) ? e : throw new InvalidDataException($"{path}: storage '{k}' is not referenced by any tensor");
            if (numel < 0 || numel > (bytes.Length - pos) / elem) throw new InvalidDataException($"{path}: storage '{k}' ({numel} elements) is truncated");
            int n = (int)(numel * elem);
            blobs[k] = bytes[pos..(pos + n)];
            pos += n;
        }
        return new PthFile { Blobs = blobs, Path = path, Root = root, FileLength = bytes.Length };
    }

    static void CollectStorages(object? o, Dictionary<string, int> refs)
    {
        switch (o)
        {
            case TensorRef t: refs[t.Storage.Key] = t.Storage.ElementBytes; break;
            case IDictionary d: foreach (DictionaryEntry e in d) CollectStorages(e.Value, refs); break;
            case string: break;
            case IEnumerable l: foreach (var x in l) CollectStorages(x, refs); break;
        }
    }

    /// <summary>Unpickles a raw pickle (no archive) with the same restrictions; for tests and tools.</summary>
    public static object UnpickleRestricted(byte[] pickle, string source)
    {
        Register();
        PickleGlobalScanner.Check(pickle, Allowed, source);
        using var u = new RestrictedUnpickler(source);
        return u.loads(pickle);
    }

    /// <summary>The state dict of a checkpoint as tensor references (nothing read yet): the `state_dict` entry of the
    /// original wrapper {'epoch', 'state_dict', 'optimizer'} or a bare state dict; `module.` (DataParallel) stripped.
    /// The caller disposes the file after materialising what it keeps.</summary>
    public static (PthFile File, Dictionary<string, TensorRef> Refs) ReadRefs(string path, out Dictionary<string, string> info)
    {
        var f = Open(path);
        try
        {
            info = new Dictionary<string, string>();
            IDictionary sd;
            if (f.Root is IDictionary top && top.Contains("state_dict"))
            {
                sd = top["state_dict"] as IDictionary ?? throw new InvalidDataException($"{path}: 'state_dict' is not a dict");
                if (top.Contains("epoch") && top["epoch"] is not null) info["epoch"] = Convert.ToString(top["epoch"], System.Globalization.CultureInfo.InvariantCulture)!;
            }
            else if (f.Root is IDictionary bare) sd = bare;
            else throw new InvalidDataException($"{path}: top-level object is {f.Root?.GetType().Name ?? "null"}, expected a dict");
            var refs = new Dictionary<string, TensorRef>();
            foreach (DictionaryEntry e in sd)
            {
                var key = e.Key as string ?? throw new InvalidDataException($"{path}: state dict key {e.Key} is not a string");
                if (e.Value is not TensorRef tr) throw new InvalidDataException($"{path}: state dict entry '{key}' is {e.Value?.GetType().Name ?? "None"}, expected a tensor");
                var name = key.StartsWith("module.", StringComparison.Ordinal) ? key[7..] : key;
                if (!refs.TryAdd(name, tr)) throw new InvalidDataException($"{path}: key '{name}' appears twice (with and without 'module.')");
            }
            return (f, refs);
        }
        catch { f.Dispose(); throw; }
    }

    /// <summary>Reads the tensors named in <paramref name="refs"/> onto `device` (persistent: the caller disposes them).</summary>
    public static Dictionary<string, Tensor> Materialize(PthFile f, IReadOnlyDictionary<string, TensorRef> refs, Device device)
    {
        var result = new Dictionary<string, Tensor>();
        try
        {
            using (Tensor.NoScope())
                foreach (var (name, tr) in refs) result[name] = f.Materialize(tr, device, name);
        }
        catch (Exception e) when (IsDamage(e, f.Path))
        {
            foreach (var t in result.Values) t.Dispose();
            throw Damaged(e, f.Path);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>The state dict of a checkpoint (<see cref="ReadRefs"/>), every tensor read onto `device`.</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path, Device device, out Dictionary<string, string> info)
    {
        var (f, refs) = ReadRefs(path, out info);
        using (f) return Materialize(f, refs, device);
    }

    // ---------- pickle object model ----------

    /// <summary>A storage named by a persistent id: ('storage', type, key, location, numel).</summary>
    public sealed record StorageRef(string Key, string DType, int ElementBytes, long Numel);

    /// <summary>A tensor to be read: storage, element offset, size, stride.</summary>
    public sealed record TensorRef(StorageRef Storage, long Offset, int[] Size, long[] Stride);

    sealed class RestrictedUnpickler(string source) : Unpickler
    {
        protected override object persistentLoad(object pid)
        {
            if (pid is not object[] t || t.Length < 5 || t[0] as string != "storage" || t[1] is not StorageType st)
                throw new InvalidDataException($"{source}: unsupported persistent id {Describe(pid)} (expected ('storage', torch.XStorage, key, location, numel))");
            if (t.Length > 5 && t[5] is not null)
                throw new InvalidDataException($"{source}: storage views (legacy view_metadata) are not supported");
            return new StorageRef(Convert.ToString(t[2], System.Globalization.CultureInfo.InvariantCulture)!, st.DType, st.Bytes, Convert.ToInt64(t[4]));
        }

        static string Describe(object o) => o is object[] a ? "(" + string.Join(", ", a.Select(x => x?.ToString() ?? "None")) + ")" : o?.ToString() ?? "None";
    }

    sealed class StorageType(string name, int bytes, string dtype) : IObjectConstructor
    {
        public string Name { get; } = name;
        public int Bytes { get; } = bytes;
        public string DType { get; } = dtype;
        public object construct(object[] args) => throw new InvalidDataException($"torch.{Name} may only appear in a storage persistent id");
    }

    sealed class RebuildTensor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length < 4 || args[0] is not StorageRef s || args[2] is not object[] size || args[3] is not object[] stride || size.Length != stride.Length)
                throw new InvalidDataException("torch._utils._rebuild_tensor_v2: unexpected arguments");
            var dims = size.Select(Convert.ToInt64).ToArray();
            if (dims.Any(d => d is < 0 or > int.MaxValue))
                throw new InvalidDataException($"a tensor has the size ({string.Join(", ", dims)}): each dimension must be 0..{int.MaxValue}");
            return new TensorRef(s, Convert.ToInt64(args[1]), dims.Select(d => (int)d).ToArray(), stride.Select(Convert.ToInt64).ToArray());
        }
    }

    sealed class RebuildParameter : IObjectConstructor
    {
        public object construct(object[] args) =>
            args.Length >= 1 && args[0] is TensorRef t ? t : throw new InvalidDataException("torch._utils._rebuild_parameter: expected a tensor");
    }

    sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            var d = new PickleOrderedDict();
            if (args.Length > 0 && args[0] is IEnumerable items)
                foreach (var it in items) if (it is object[] kv && kv.Length == 2) d[kv[0]] = kv[1];
            return d;
        }
    }
}

/// <summary>collections.OrderedDict. A Hashtable because Razorvine's SETITEMS casts to one (order is not needed:
/// entries are looked up by name); the instance state (state_dict's `_metadata`) is kept aside.</summary>
public sealed class PickleOrderedDict : Hashtable
{
    public object? State { get; private set; }
    public void __setstate__(Hashtable state) => State = state;
}
