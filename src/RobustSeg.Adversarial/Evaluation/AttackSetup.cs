using RobustSeg.Adversarial.Attacks;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Turns the command-line attack settings into an attack and its options, with the protocol's
/// defaults: legacy = the paper's BIM (eps 0.03, 2 steps of 0.01, no random start, last iterate);
/// strong = eps 8/255, 10 steps (100 for APGD and the ensemble, 300 per loss for SEA as published) of eps/4,
/// random start, worst case kept.</summary>
public static class AttackSetup
{
    public static (IAttack? Attack, AttackOptions Options) Create(string attackName, AttackProtocol protocol,
        string? eps = null, string? alpha = null, int? steps = null, int? restarts = null, ulong seed = 0, int ignoreIndex = 255)
    {
        var attack = AttackFactory.Create(attackName);
        AttackOptions o;
        if (protocol == AttackProtocol.Legacy)
            o = AttackOptions.LegacyBim;
        else
        {
            int defaultSteps = attack switch { Sea => 300, Apgd or EnsembleAttack or ProgressiveApgd => 100, _ => 10 };
            o = new AttackOptions { Eps = 8f / 255, Steps = defaultSteps, RandomStart = true, KeepBest = true };
        }
        if (eps is not null) o = o with { Eps = AttackOptions.ParseMagnitude(eps, "--eps") };
        if (steps is int s) o = o with { Steps = s };
        if (alpha is not null) o = o with { Alpha = AttackOptions.ParseMagnitude(alpha, "--alpha") };
        else if (protocol == AttackProtocol.Strong) o = o with { Alpha = o.Eps / 4 };
        if (restarts is int r) o = o with { Restarts = r };
        o = o with { Seed = seed, IgnoreIndex = ignoreIndex };
        o.Validate();
        return (attack, o);
    }

    public static string Describe(IAttack? attack, AttackOptions o, AttackProtocol protocol) => attack is null
        ? "clean (no attack)"
        : $"{attack.Name}, {protocol.ToString().ToLowerInvariant()} protocol, eps {o.Eps * 255:0.##}/255 ({o.Eps:0.####}), " +
          $"alpha {o.Alpha:0.####}, {o.Steps} steps, {o.Restarts} restart(s), random start {(o.RandomStart ? "on" : "off")}, seed {o.Seed}";
}
