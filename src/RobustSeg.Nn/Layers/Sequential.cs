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

    /// <summary>Runs the modules in order; a BatchNorm2d followed by a ReLU runs as one op (<see cref="BatchNorm2d.ForwardRelu"/>,
    /// PyTorch's in-place ReLU: one activation kept for the backward instead of two).</summary>
    public override Tensor Forward(Tensor x)
    {
        var input = x;
        for (int i = 0; i < _items.Count; i++)
        {
            var m = _items[i];
            Tensor y;
            if (m is BatchNorm2d bn && i + 1 < _items.Count && _items[i + 1] is ReLU) { y = bn.ForwardRelu(x); i++; }
            else y = m.Forward(x);
            if (!ReferenceEquals(x, input)) FreeIntermediate(x, y);
            x = y;
        }
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
