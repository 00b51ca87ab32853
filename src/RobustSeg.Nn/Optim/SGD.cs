using RobustSeg.Engine;

namespace RobustSeg.Nn;

/// <summary>torch.optim.SGD (dampening 0, no Nesterov): d = g + wd*p; buf = m*buf + d (buf = d on the
/// first step); p -= lr*buf. Momentum buffers are persistent tensors keyed by parameter name.</summary>
public sealed class SGD : IDisposable
{
    readonly Dictionary<string, Tensor> _buffers = new();

    public IReadOnlyList<ParamGroup> Groups { get; }
    public long StepCount { get; private set; }

    public SGD(IEnumerable<ParamGroup> groups)
    {
        Groups = groups.ToList();
        var seen = new HashSet<string>();
        foreach (var g in Groups)
            foreach (var (n, _) in g.Parameters)
                if (!seen.Add(n)) throw new ArgumentException($"parameter '{n}' appears in more than one group");
    }

    public SGD(Module model, double lr, double momentum = 0.9, double weightDecay = 1e-4)
        : this([new ParamGroup("all", model.NamedParameters(), lr, momentum, weightDecay)]) { }

    public IReadOnlyDictionary<string, Tensor> MomentumBuffers => _buffers;

    public void ZeroGrad()
    {
        foreach (var g in Groups) foreach (var (_, p) in g.Parameters) p.ZeroGrad();
    }

    /// <summary>One update from the parameters' accumulated .Grad (parameters without a gradient are skipped).</summary>
    public void Step()
    {
        using var noGrad = Autograd.NoGrad();
        using var scope = Tensor.Scope();
        foreach (var g in Groups)
        {
            foreach (var (name, p) in g.Parameters)
            {
                var grad = p.Grad;
                if (grad is null || grad.IsDisposed) continue;
                Tensor? buf = null;
                bool first = false;
                if (g.Momentum != 0 && !_buffers.TryGetValue(name, out buf))
                {
                    using (Tensor.NoScope()) buf = Tensor.EmptyLike(p).Persist();
                    _buffers[name] = buf;
                    first = true;
                }
                // One pass: d = g + wd p, buf = m buf + d (d on the first step), p -= lr buf.
                F.SgdStepInto(p, grad, buf, (float)g.Lr, (float)g.Momentum, (float)g.WeightDecay, first);
            }
        }
        StepCount++;
    }

    /// <summary>Restores momentum buffers (from a checkpoint); names must be parameters of a group and
    /// shapes must match.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> buffers, long stepCount)
    {
        var byName = Groups.SelectMany(g => g.Parameters).ToDictionary(p => p.Name, p => p.Tensor);
        var problems = new List<string>();
        foreach (var (n, t) in buffers)
        {
            if (!byName.TryGetValue(n, out var p)) problems.Add($"{n}: not a parameter of this optimizer");
            else if (!p.ShapeSpan.SequenceEqual(t.ShapeSpan)) problems.Add($"{n}: expected {p.ShapeString}, got {t.ShapeString}");
        }
        if (problems.Count > 0) throw new InvalidDataException("optimizer state does not match: " + string.Join("; ", problems));
        foreach (var b in _buffers.Values) b.Dispose();
        _buffers.Clear();
        foreach (var (n, t) in buffers)
        {
            var p = byName[n];
            using (Tensor.NoScope())
            {
                var buf = Tensor.Empty(p.Device, p.Shape).Persist();
                buf.CopyFrom(t);
                _buffers[n] = buf;
            }
        }
        StepCount = stepCount;
    }

    public void Dispose()
    {
        foreach (var b in _buffers.Values) b.Dispose();
        _buffers.Clear();
    }
}
