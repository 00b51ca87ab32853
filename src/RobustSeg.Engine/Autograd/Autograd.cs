namespace RobustSeg.Engine;

/// <summary>Define-by-run reverse mode. Ops call <see cref="Record"/>; <see cref="Tensor.Backward"/>
/// fills leaf gradients; <see cref="Grad"/> returns gradients for chosen tensors only and skips every
/// node that does not lead to them.</summary>
public static class Autograd
{
    [ThreadStatic] static int _noGradDepth;

    public static bool IsEnabled => _noGradDepth == 0;

    sealed class NoGradScope : IDisposable
    {
        bool _done;
        public NoGradScope() => _noGradDepth++;
        public void Dispose() { if (!_done) { _done = true; _noGradDepth--; } }
    }

    /// <summary>Inside, ops record nothing (inference, attack bookkeeping).</summary>
    public static IDisposable NoGrad() => new NoGradScope();

    /// <summary>True when an op with these inputs must record a node.</summary>
    public static bool ShouldRecord(params Tensor?[] inputs)
    {
        if (!IsEnabled) return false;
        foreach (var t in inputs) if (t is not null && t.RequiresGrad) return true;
        return false;
    }

    /// <summary>For ops without a gradient: an input that requires grad while recording is an error, since the
    /// result would silently cut the gradient. Call inside Autograd.NoGrad() (or detach) to mean it.</summary>
    public static void RequireNoGrad(string op, params Tensor[] inputs)
    {
        if (ShouldRecord(inputs))
            throw new InvalidOperationException($"{op} has no gradient but an input requires grad; detach it or run under Autograd.NoGrad()");
    }

    /// <summary>Attaches a node to `output` when any input requires grad. Inputs that are null are
    /// passed to the backward function as absent (needs = false).</summary>
    public static Tensor Record(Tensor output, string op, Tensor?[] inputs, BackwardFn backward)
    {
        if (!ShouldRecord(inputs)) return output;
        output.RequiresGrad = true;
        output.GradFn = new Node(op, inputs.Select(t => t!).ToArray(), backward);
        return output;
    }

    /// <summary>d output / d inputs (output a scalar, or with an explicit gradOutput). Computes only
    /// the part of the tape that leads to the requested inputs; leaves' .Grad are not touched. An input the
    /// graph does not reach is an error (it usually means the gradient was cut by mistake) unless
    /// <paramref name="allowUnused"/> (PyTorch's allow_unused), which gives zeros for it.</summary>
    public static Tensor[] Grad(Tensor output, Tensor[] inputs, Tensor? gradOutput = null, bool allowUnused = false)
    {
        var targets = new HashSet<Tensor>(inputs, ReferenceEqualityComparer.Instance);
        var grads = Run(output, gradOutput, t => targets.Contains(t), accumulateLeaves: false);
        var result = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!grads.TryGetValue(inputs[i], out var g))
            {
                if (!allowUnused)
                    throw new InvalidOperationException($"Autograd.Grad: input {i} ({inputs[i].ShapeString}) is not reached by the graph of the output " +
                        "(detached, created under NoGrad, or never used); pass allowUnused: true if that is intended");
                g = Tensor.ZerosLike(inputs[i]);
            }
            result[i] = g;
        }
        return result;
    }

    internal static void Backward(Tensor output, Tensor? gradOutput)
    {
        Run(output, gradOutput, t => t.IsLeaf && t.RequiresGrad, accumulateLeaves: true);
    }

    static Dictionary<Tensor, Tensor> Run(Tensor output, Tensor? gradOutput, Func<Tensor, bool> isTarget, bool accumulateLeaves)
    {
        if (!output.RequiresGrad)
            throw new InvalidOperationException("output does not require grad: no input of the computation had RequiresGrad set (or it ran under NoGrad)");
        if (gradOutput is null && output.Numel != 1)
            throw new InvalidOperationException($"gradient can be implicitly created only for a scalar output; output has shape {output.ShapeString}");

        // Topological order (iterative DFS; graphs of deep nets would overflow recursion).
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        stack.Push((output, 0));
        visited.Add(output);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var c = inputs[next];
                if (c is not null && c.RequiresGrad && visited.Add(c)) stack.Push((c, 0));
            }
            else order.Add(t);
        }

        // Which tensors lead to a target (order is inputs-before-outputs).
        var leads = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var t in order)
        {
            if (isTarget(t)) { leads.Add(t); continue; }
            var ins = t.GradFn?.Inputs;
            if (ins is null) continue;
            foreach (var c in ins) if (c is not null && leads.Contains(c)) { leads.Add(t); break; }
        }

        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        var result = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        if (!leads.Contains(output)) return result;
        grads[output] = gradOutput ?? Tensor.Full(output.Device, 1f, output.Shape);

        using var noGrad = NoGrad();
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            if (isTarget(t))
            {
                if (accumulateLeaves) AccumulateInto(t, g);
                else result[t] = g;
                if (t.IsLeaf) continue;
            }
            var node = t.GradFn;
            if (node is null) continue;
            var needs = new bool[node.Inputs.Length];
            bool any = false;
            for (int k = 0; k < needs.Length; k++)
            {
                var c = node.Inputs[k];
                needs[k] = c is not null && c.RequiresGrad && leads.Contains(c);
                any |= needs[k];
            }
            if (!any) continue;
            var inGrads = node.Backward(g, needs);
            var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            for (int k = 0; k < needs.Length; k++)
            {
                if (!needs[k]) continue;
                var ig = inGrads[k] ?? throw new InvalidOperationException($"backward of '{node.Op}' returned no gradient for input {k}");
                // A backward may pass the same tensor on twice (add) or pass its gradOutput through:
                // give each holder its own reference to the shared storage.
                if (ReferenceEquals(ig, g) || !seen.Add(ig)) ig = ig.Detach();
                var c = node.Inputs[k];
                if (!ig.ShapeSpan.SequenceEqual(c.ShapeSpan))
                    throw new InvalidOperationException($"backward of '{node.Op}' gave gradient {ig.ShapeString} for input {k} of shape {c.ShapeString}");
                if (grads.TryGetValue(c, out var prev))
                {
                    var sum = F.Add(prev, ig);
                    prev.Dispose(); ig.Dispose();
                    grads[c] = sum;
                }
                else grads[c] = ig;
            }
            if (!ReferenceEquals(g, gradOutput) && !result.ContainsKey(t)) g.Dispose();
        }
        return result;
    }

    static void AccumulateInto(Tensor leaf, Tensor g)
    {
        using (Tensor.NoScope())
        {
            if (leaf.Grad is null || leaf.Grad.IsDisposed)
            {
                leaf.Grad = g.Clone();
                leaf.Grad.Persist();
            }
            else leaf.Device.Backend.Axpby(1f, g, 1f, leaf.Grad, leaf.Grad);
        }
    }
}

public sealed partial class Tensor
{
    /// <summary>Accumulates d this / d leaf into every leaf's .Grad that requires grad.</summary>
    public void Backward(Tensor? gradOutput = null) => Autograd.Backward(this, gradOutput);

    /// <summary>Sets .Grad to zero (keeps the buffer).</summary>
    public void ZeroGrad()
    {
        if (Grad is not null && !Grad.IsDisposed) Device.Backend.Fill(Grad, 0f);
    }
}
