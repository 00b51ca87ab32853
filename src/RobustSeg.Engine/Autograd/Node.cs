namespace RobustSeg.Engine;

/// <summary>Computes input gradients from the output gradient. `needs[i]` says whether input i's
/// gradient is wanted; return null where it is not (so e.g. a conv skips its weight gradient when an
/// attack asks for the input gradient only).</summary>
public delegate Tensor?[] BackwardFn(Tensor gradOutput, bool[] needs);

/// <summary>One tape entry: the op that produced a tensor, its inputs and its backward function.</summary>
public sealed class Node(string op, Tensor[] inputs, BackwardFn backward)
{
    public string Op { get; } = op;
    public Tensor[] Inputs { get; } = inputs;
    public BackwardFn Backward { get; } = backward;
}
