using System.Collections;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Razorvine.Pickle;
using RobustSeg.Engine;

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
        internal ZipArchive Zip { get; init; } = null!;
        internal string Prefix { get; init; } = "";
        public string Path { get; init; } = "";
        public object Root { get; init; } = null!;

        public Tensor Materialize(TensorRef r, Device device, string key)
        {
            var st = r.Storage;
            var entry = Zip.GetEntry(Prefix + "data/" + st.Key)
                ?? throw new InvalidDataException($"{Path}: tensor '{key}' refers to storage '{st.Key}', but {Prefix}data/{st.Key} is not in the archive");
            var raw = new byte[entry.Length];
            using (var s = entry.Open()) s.ReadExactly(raw);
            long numel = Tensor.ShapeNumel(r.Size);
            // Strided gather (state-dict tensors are normally contiguous, but views are legal in a pickle).
            var idx = new long[numel];
            {
                long k = 0;
                var pos = new int[r.Size.Length];
                for (long n = 0; n < numel; n++)
                {
                    long off = r.Offset;
                    for (int d = 0; d < pos.Length; d++) off += pos[d] * r.Stride[d];
                    idx[k++] = off;
                    for (int d = pos.Length - 1; d >= 0; d--) { if (++pos[d] < r.Size[d]) break; pos[d] = 0; }
                }
            }
            long elems = raw.Length / st.ElementBytes;
            foreach (var o in idx)
                if (o < 0 || o >= elems) throw new InvalidDataException($"{Path}: tensor '{key}' reads element {o} of a storage with {elems}");
            switch (st.DType)
            {
                case "float32": { var v = MemoryMarshal.Cast<byte, float>(raw).ToArray(); return Tensor.FromArray(device, idx.Select(o => v[(int)o]).ToArray(), r.Size); }
                case "float64": { var v = MemoryMarshal.Cast<byte, double>(raw).ToArray(); return Tensor.FromArray(device, idx.Select(o => (float)v[o]).ToArray(), r.Size); }
                case "float16": { var v = MemoryMarshal.Cast<byte, Half>(raw).ToArray(); return Tensor.FromArray(device, idx.Select(o => (float)v[o]).ToArray(), r.Size); }
                case "int64":
                {
                    var v = MemoryMarshal.Cast<byte, long>(raw).ToArray();
                    var a = idx.Select(o => v[o] is >= int.MinValue and <= int.MaxValue ? (int)v[o]
                        : throw new InvalidDataException($"{Path}: int64 value {v[o]} of '{key}' does not fit int32")).ToArray();
                    return Tensor.FromArray(device, a, r.Size);
                }
                case "int32": { var v = MemoryMarshal.Cast<byte, int>(raw).ToArray(); return Tensor.FromArray(device, idx.Select(o => v[o]).ToArray(), r.Size); }
                default: throw new InvalidDataException($"{Path}: tensor '{key}' has dtype {st.DType}; supported: float32, float64, float16, int64, int32");
            }
        }

        public void Dispose() => Zip.Dispose();
    }

    public static PthFile Open(string path)
    {
        Register();
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a zip-format PyTorch checkpoint (the legacy pre-1.6 format is not supported; " +
                "re-save it with torch.save(obj, f) from torch >= 1.6)");
        }
        try
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                ?? throw new InvalidDataException($"{path}: no PREFIX/data.pkl in the archive (not a torch.save file?)");
            var prefix = pkl.FullName[..^"data.pkl".Length];
            var bo = zip.GetEntry(prefix + "byteorder");
            if (bo is not null)
            {
                using var r = new StreamReader(bo.Open());
                var order = r.ReadToEnd().Trim();
                if (order != "little") throw new InvalidDataException($"{path}: byteorder '{order}' is not supported (little only)");
            }
            byte[] bytes;
            using (var s = pkl.Open()) { var ms = new MemoryStream(); s.CopyTo(ms); bytes = ms.ToArray(); }
            PickleGlobalScanner.Check(bytes, Allowed, path);
            object root;
            using (var u = new RestrictedUnpickler(path)) root = u.loads(bytes);
            return new PthFile { Zip = zip, Prefix = prefix, Path = path, Root = root };
        }
        catch
        {
            zip.Dispose();
            throw;
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

    /// <summary>The state dict of a checkpoint: the `state_dict` entry of the original wrapper
    /// {'epoch', 'state_dict', 'optimizer'} or a bare state dict; `module.` (DataParallel) stripped.
    /// Returns host tensors on `device` (persistent: the caller disposes them).</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path, Device device, out Dictionary<string, string> info)
    {
        using var f = Open(path);
        info = new Dictionary<string, string>();
        IDictionary sd;
        if (f.Root is IDictionary top && top.Contains("state_dict"))
        {
            sd = top["state_dict"] as IDictionary ?? throw new InvalidDataException($"{path}: 'state_dict' is not a dict");
            if (top.Contains("epoch") && top["epoch"] is not null) info["epoch"] = Convert.ToString(top["epoch"], System.Globalization.CultureInfo.InvariantCulture)!;
        }
        else if (f.Root is IDictionary bare) sd = bare;
        else throw new InvalidDataException($"{path}: top-level object is {f.Root?.GetType().Name ?? "null"}, expected a dict");

        var result = new Dictionary<string, Tensor>();
        try
        {
            using (Tensor.NoScope())
            {
                foreach (DictionaryEntry e in sd)
                {
                    var key = e.Key as string ?? throw new InvalidDataException($"{path}: state dict key {e.Key} is not a string");
                    if (e.Value is not TensorRef tr) throw new InvalidDataException($"{path}: state dict entry '{key}' is {e.Value?.GetType().Name ?? "None"}, expected a tensor");
                    var name = key.StartsWith("module.", StringComparison.Ordinal) ? key[7..] : key;
                    if (result.ContainsKey(name)) throw new InvalidDataException($"{path}: key '{name}' appears twice (with and without 'module.')");
                    result[name] = f.Materialize(tr, device, key);
                }
            }
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
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
            return new TensorRef(s, Convert.ToInt64(args[1]), size.Select(Convert.ToInt32).ToArray(), stride.Select(Convert.ToInt64).ToArray());
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

/// <summary>collections.OrderedDict: insertion-ordered; the instance state (state_dict's `_metadata`) is kept aside.</summary>
public sealed class PickleOrderedDict : Dictionary<object, object?>
{
    public object? State { get; private set; }
    public void __setstate__(Hashtable state) => State = state;
}
