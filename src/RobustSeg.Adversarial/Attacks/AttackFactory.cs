using RobustSeg.Engine;
namespace RobustSeg.Adversarial.Attacks;

/// <summary>Attacks by name (the CLI's --attack values).</summary>
public static class AttackFactory
{
    public static readonly string[] Names = ["none", "fgsm", "bim", "pgd", "segpgd", "cospgd", "cospgd-sigmoid", "apgd", "apgd-masked", "apgd-margin", "ensemble", "sea"];

    /// <summary>The attack for a name; null for "none".</summary>
    public static IAttack? Create(string name) => name.ToLowerInvariant() switch
    {
        "none" or "" => null,
        "fgsm" => new Fgsm(),
        "bim" => new Bim(),
        "pgd" => new Pgd(),
        "segpgd" => new SegPgd(),
        "cospgd" => new CosPgd(),
        "cospgd-sigmoid" => new CosPgd(sigmoid: true),
        "apgd" or "apgd-ce" => new Apgd(new CrossEntropyLoss()),
        "apgd-masked" or "apgd-masked-ce" => new Apgd(new MaskedCrossEntropyLoss()),
        "apgd-margin" => new Apgd(new MarginLoss()),
        "ensemble" => DefaultEnsemble(),
        "sea" => new Sea(),
        _ => throw new UserInputException($"unknown attack '{name}' (expected one of {string.Join(", ", Names)})"),
    };

    /// <summary>APGD with three losses plus SegPGD and CosPGD: complementary objectives, worst case per image.
    /// Not SEA (<see cref="Sea"/>): other losses, a single radius, each member's own defaults.</summary>
    public static EnsembleAttack DefaultEnsemble() => new([
        new Apgd(new CrossEntropyLoss()), new Apgd(new MaskedCrossEntropyLoss()), new Apgd(new MarginLoss()),
        new SegPgd(), new CosPgd()]);
}
