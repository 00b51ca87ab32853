using System.CommandLine;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;

namespace RobustSeg.Cli.Commands;

/// <summary>The attack options `test` and `attack` share (eps, alpha, steps, restarts, protocol, seed),
/// declared once, and their translation into an attack with the protocol's defaults.</summary>
public sealed class AttackCliOptions
{
    public Option<string?> Eps { get; } = new("--eps") { Description = "L-inf radius: a fraction (0.03), 'k/255', or a number > 1 of 1/255 units (default: legacy 0.03, strong 8/255)" };
    public Option<string?> Alpha { get; } = new("--alpha") { Description = "step size, same units as --eps (default: legacy 0.01, strong eps/4)" };
    public Option<int?> Steps { get; } = new("--steps") { Description = "attack steps (default: legacy 2, strong 10; APGD/ensemble 100; SEA 300 per loss)" };
    public Option<int?> Restarts { get; } = new("--restarts") { Description = "attack restarts (worst case per image kept)" };
    public Option<string> Protocol { get; } = new("--protocol") { Description = "legacy (per-window BIM, the paper's) or strong (whole-image perturbation, random start)", DefaultValueFactory = _ => "strong" };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "attack seed (random starts)", DefaultValueFactory = _ => 0UL };

    public IEnumerable<Option> All => [Eps, Alpha, Steps, Restarts, Protocol, Seed];

    public (IAttack? Attack, AttackOptions Options, AttackProtocol Protocol) Create(ParseResult pr, string attackName, int ignoreIndex) =>
        Create(pr, attackName, ignoreIndex, pr.GetValue(Eps));

    /// <summary>As <see cref="Create(ParseResult, string, int)"/> with one radius of a sweep's --eps list.</summary>
    public (IAttack? Attack, AttackOptions Options, AttackProtocol Protocol) Create(ParseResult pr, string attackName, int ignoreIndex, string? eps)
    {
        var proto = AttackProtocols.Parse(pr.GetValue(Protocol)!);
        var (atk, opts) = AttackSetup.Create(attackName, proto, eps, pr.GetValue(Alpha),
            pr.GetValue(Steps), pr.GetValue(Restarts), pr.GetValue(Seed), ignoreIndex);
        return (atk, opts, proto);
    }
}
