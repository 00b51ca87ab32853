using RobustSeg.Engine;

namespace RobustSeg.Models;

/// <summary>What a forward pass returns, every map at the output size ((H-1)/8*zoom+1, the input size for
/// zoom 8), logits (N, K, h, w).
/// Logits: the model's output: `cls` for plain models; for DDC-AT the routed output when all heads ran
/// (training, or asked for), else `cls1` (deployment).
/// Aux: the auxiliary head (`aux` / `aux_cls1`) when it ran. Cls1, Cls2, MaskLogits (N, 2, h, w) and
/// Route (int32 (N, h, w), 1 where the mask head picks cls2) are set for DDC-AT when all heads ran
/// (Cls1 also in plain DDC-AT eval).</summary>
public sealed record SegOutput(Tensor Logits, Tensor? Aux = null, Tensor? Cls1 = null, Tensor? Cls2 = null,
    Tensor? MaskLogits = null, Tensor? Route = null);

/// <summary>Which heads to compute. Null means "as the mode implies": training runs every head and aux;
/// eval runs only the deployed output (`cls`, or `cls1` for DDC-AT).</summary>
public sealed record ForwardOptions(bool? AllHeads = null, bool? Aux = null)
{
    public static readonly ForwardOptions Default = new();
    /// <summary>Every head, no aux: what DDC-AT's mask targets need (routed prediction in eval mode).</summary>
    public static readonly ForwardOptions Routed = new(AllHeads: true, Aux: false);
    public static readonly ForwardOptions Everything = new(true, true);
}
