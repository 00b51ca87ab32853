namespace RobustSeg.Adversarial.Evaluation.Protocols;

/// <summary>The protocol a run's settings ask for: clean (single- or multi-scale) without an attack, else the
/// attack protocol. Attacked runs are single-scale (the paper's and the strong protocols are defined so).</summary>
public static class EvalProtocols
{
    public static IEvalProtocol For(EvalSettings s)
    {
        if (s.Attack is null)
            return s.Scales.Count == 1 && s.Scales[0] == 1.0 ? new CleanProtocol()
                : s.Scales.Count == 1 ? new CleanProtocol(s.Scales[0]) : new MultiScaleProtocol(s.Scales);
        if (s.Scales.Count != 1 || s.Scales[0] != 1.0)
            throw new ArgumentException($"TEST.scales [{string.Join(", ", s.Scales)}]: attacked evaluation is single-scale (scales: [1.0])");
        return s.Protocol == AttackProtocol.Legacy ? new LegacyProtocol(s.Attack) : new StrongProtocol(s.Attack);
    }
}
