using RobustSeg.Engine;

namespace RobustSeg.Nn;

/// <summary>nn.Sequential: children named "0", "1", ... applied in order.</summary>
public sealed class Sequential : Module
{
    readonly List<Module> _items = new();

    public Sequential(params Module[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    public Sequential Add(Module m)
    {
        RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), m);
        _items.Add(m);
        return this;
    }

    public int Count => _items.Count;
    public Module this[int i] => _items[i];

    public override Tensor Forward(Tensor x)
    {
        foreach (var m in _items) x = m.Forward(x);
        return x;
    }
}

/// <summary>nn.ModuleList: children named "0", "1", ...; the owner decides how to call them.</summary>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    readonly List<Module> _items = new();

    public ModuleList(params Module[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    public ModuleList Add(Module m)
    {
        RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), m);
        _items.Add(m);
        return this;
    }

    public int Count => _items.Count;
    public Module this[int i] => _items[i];
    public IEnumerator<Module> GetEnumerator() => _items.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
