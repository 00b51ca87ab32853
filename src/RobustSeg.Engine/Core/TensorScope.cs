namespace RobustSeg.Engine;

/// <summary>Deterministic lifetimes: every tensor created while a scope is current is disposed when
/// the scope ends, unless it was moved out with <see cref="Keep"/>. Scopes nest per thread.</summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] static TensorScope? _current;
    readonly TensorScope? _parent;
    readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
    readonly bool _suspended;
    bool _disposed;

    internal TensorScope(bool suspended)
    {
        _parent = _current;
        _suspended = suspended;
        _current = this;
    }

    internal static void Track(Tensor t)
    {
        var s = _current;
        if (s is null || s._suspended) return;
        s._owned.Add(t);
        t.OwnerScope = s;
    }

    internal void Forget(Tensor t) => _owned.Remove(t);

    /// <summary>Moves a tensor out of this scope into the enclosing one (or none): it survives this scope's end.</summary>
    public Tensor Keep(Tensor tensor)
    {
        if (tensor.OwnerScope == this)
        {
            _owned.Remove(tensor);
            tensor.OwnerScope = null;
            var p = _parent;
            while (p is not null && p._suspended) p = p._parent;
            if (p is not null) { p._owned.Add(tensor); tensor.OwnerScope = p; }
        }
        return tensor;
    }

    public int Count => _owned.Count;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_current != this) throw new InvalidOperationException("tensor scopes must be disposed in reverse order of creation");
        _current = _parent;
        foreach (var t in _owned) { t.OwnerScope = null; t.Dispose(); }
        _owned.Clear();
    }
}
