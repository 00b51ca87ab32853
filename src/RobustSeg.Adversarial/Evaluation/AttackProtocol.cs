using RobustSeg.Engine;
namespace RobustSeg.Adversarial.Evaluation;

/// <summary>How an attacked evaluation crafts its perturbation (DESIGN section 6).</summary>
public enum AttackProtocol
{
    /// <summary>The paper's: each sliding window attacked on its own with BIM (eps 0.03, 2 steps of 0.01,
    /// no random start), no flip.</summary>
    Legacy,
    /// <summary>One perturbation for the whole (resized) image, crafted through the whole sliding-window
    /// inference so it is consistent across windows; random start.</summary>
    Strong,
}

public static class AttackProtocols
{
    public static AttackProtocol Parse(string s) => s.ToLowerInvariant() switch
    {
        "legacy" => AttackProtocol.Legacy,
        "strong" => AttackProtocol.Strong,
        _ => throw new UserInputException($"unknown protocol '{s}' (expected legacy or strong)"),
    };
}
