using RobustSeg.Engine;

namespace RobustSeg.Nn;

/// <summary>A PyTorch-like module: ordered named parameters, buffers and children, train/eval mode and
/// state dicts whose keys are the dotted paths PyTorch would produce (so original checkpoints load as is).
/// Parameters and buffers are persistent tensors owned by the module (freed by <see cref="Dispose"/>).</summary>
public abstract class Module : IDisposable
{
    readonly List<(string Name, Tensor Tensor)> _parameters = new();
    readonly List<(string Name, Tensor Tensor)> _buffers = new();
    readonly List<(string Name, Module Module)> _children = new();

    public bool IsTraining { get; private set; } = true;

    /// <summary>The computation for single-input layers (containers and layers override it).</summary>
    public virtual Tensor Forward(Tensor x) =>
        throw new NotSupportedException($"{GetType().Name} has no single-input Forward");

    public Tensor Call(Tensor x) => Forward(x);

    /// <summary>Under NoGrad no tape holds intermediates: dispose `used` (unless it is `result` itself) right
    /// away instead of at the end of the caller's scope, so inference on large inputs keeps only the live
    /// activations. A no-op while gradients are recorded.</summary>
    public static void FreeIntermediate(Tensor used, Tensor result)
    {
        if (!Autograd.IsEnabled && !ReferenceEquals(used, result)) used.Dispose();
    }

    // ---------- registration ----------

    /// <summary>Takes ownership of `t` as a trainable parameter (persisted outside every scope, RequiresGrad).</summary>
    protected Tensor RegisterParameter(string name, Tensor t)
    {
        CheckName(name);
        t.Persist();
        t.RequiresGrad = true;
        t.Name = name;
        _parameters.Add((name, t));
        return t;
    }

    /// <summary>Takes ownership of `t` as persistent non-trainable state (running statistics).</summary>
    protected Tensor RegisterBuffer(string name, Tensor t)
    {
        CheckName(name);
        t.Persist();
        t.Name = name;
        _buffers.Add((name, t));
        return t;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"invalid member name '{name}' (non-empty, no dots)");
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'");
    }

    // ---------- traversal ----------

    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    /// <summary>This module (name "") and every descendant with its dotted path, depth first.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (n, m) in _children)
            foreach (var x in m.NamedModules(Join(prefix, n))) yield return x;
    }

    public IEnumerable<(string Name, Tensor Tensor)> NamedParameters(string prefix = "")
    {
        foreach (var (n, t) in _parameters) yield return (Join(prefix, n), t);
        foreach (var (n, m) in _children)
            foreach (var x in m.NamedParameters(Join(prefix, n))) yield return x;
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Tensor);

    public IEnumerable<(string Name, Tensor Tensor)> NamedBuffers(string prefix = "")
    {
        foreach (var (n, t) in _buffers) yield return (Join(prefix, n), t);
        foreach (var (n, m) in _children)
            foreach (var x in m.NamedBuffers(Join(prefix, n))) yield return x;
    }

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>The child module at a dotted path ("layer1.0.conv1"), or null.</summary>
    public Module? GetSubmodule(string path)
    {
        Module cur = this;
        foreach (var part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var found = cur._children.FirstOrDefault(c => c.Name == part).Module;
            if (found is null) return null;
            cur = found;
        }
        return cur;
    }

    // ---------- mode ----------

    public Module Train(bool on = true)
    {
        foreach (var (_, m) in NamedModules()) m.IsTraining = on;
        return this;
    }

    public Module Eval() => Train(false);

    /// <summary>Sets RequiresGrad on every parameter (freeze with false).</summary>
    public void RequiresGrad(bool on)
    {
        foreach (var p in Parameters()) p.RequiresGrad = on;
    }

    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    public long ParameterCount() => Parameters().Sum(p => p.Numel);

    // ---------- state dicts ----------

    /// <summary>Hook: bring buffers up to date before they are read (BatchNorm's step counter).</summary>
    protected virtual void SyncStateOut() { }
    /// <summary>Hook: re-read buffers after they were overwritten by LoadStateDict.</summary>
    protected virtual void SyncStateIn() { }

    /// <summary>Parameters then buffers of each module, in PyTorch's order. The tensors are the live
    /// ones (not copies): clone them to keep a snapshot.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        foreach (var (_, m) in NamedModules()) m.SyncStateOut();
        var d = new Dictionary<string, Tensor>();
        Collect(this, "", d);
        return d;
    }

    static void Collect(Module m, string prefix, Dictionary<string, Tensor> d)
    {
        foreach (var (n, t) in m._parameters) d[Join(prefix, n)] = t;
        foreach (var (n, t) in m._buffers) d[Join(prefix, n)] = t;
        foreach (var (n, c) in m._children) Collect(c, Join(prefix, n), d);
    }

    /// <summary>Copies values into this module's tensors. Strict: every key present, none unexpected,
    /// every shape equal, else <see cref="StateDictMismatchException"/> listing all problems (nothing is
    /// copied then). Not strict: copies the keys that match and ignores the rest; shapes must still match.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> source, bool strict = true, string? sourceName = null)
    {
        var own = StateDict();
        CheckStateShapes(StateShapes(), source.ToDictionary(kv => kv.Key, kv => kv.Value.Shape), strict, sourceName ?? "state dict", GetType().Name);
        foreach (var (k, dst) in own)
        {
            if (!source.TryGetValue(k, out var src)) continue;
            CopyConverted(src, dst);
        }
        foreach (var (_, m) in NamedModules()) m.SyncStateIn();
    }

    /// <summary>The state dict's names and shapes, without reading any tensor (works on a module built under
    /// <see cref="Tensor.ShapesOnly"/>).</summary>
    public Dictionary<string, int[]> StateShapes()
    {
        var d = new Dictionary<string, Tensor>();
        Collect(this, "", d);
        return d.ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
    }

    /// <summary>The one comparison of a state dict's names and shapes with a module's (what LoadStateDict enforces),
    /// usable on a file's tensor table before anything is allocated: strict = every key present, none unexpected;
    /// shapes always equal. Throws <see cref="StateDictMismatchException"/> listing every problem.</summary>
    public static void CheckStateShapes(IReadOnlyDictionary<string, int[]> own, IReadOnlyDictionary<string, int[]> source, bool strict,
        string sourceName, string moduleName)
    {
        var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !own.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var misShaped = own.Where(kv => source.TryGetValue(kv.Key, out var s) && !SameShape(kv.Value, s))
            .Select(kv => $"{kv.Key}: expected [{string.Join(", ", kv.Value)}], got [{string.Join(", ", source[kv.Key])}]").ToList();
        if (misShaped.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new StateDictMismatchException(sourceName, moduleName, missing, unexpected, misShaped);
    }

    // Scalars are stored with shape [] by PyTorch and [1] by some writers: treat them as equal.
    static bool SameShape(int[] a, int[] b)
    {
        long na = Tensor.ShapeNumel(a), nb = Tensor.ShapeNumel(b);
        return na == nb && (a.AsSpan().SequenceEqual(b) || na == 1);
    }

    static void CopyConverted(Tensor src, Tensor dst)
    {
        if (src.DType == dst.DType) { dst.CopyFrom(src); return; }
        if (dst.DType == DType.Float32) { dst.CopyFrom(src.ToArray()); return; }
        var ints = src.ToArray().Select(v => (int)v).ToArray();
        using var tmp = Tensor.FromArray(dst.Device, ints, dst.Shape);
        dst.CopyFrom(tmp);
    }

    public virtual void Dispose()
    {
        foreach (var (_, t) in _parameters) { t.Grad?.Dispose(); t.Dispose(); }
        foreach (var (_, t) in _buffers) t.Dispose();
        foreach (var (_, m) in _children) m.Dispose();
        GC.SuppressFinalize(this);
    }
}
