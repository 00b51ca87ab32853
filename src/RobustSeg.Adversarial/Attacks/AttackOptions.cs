using RobustSeg.Engine;
using System.Globalization;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>L-inf attack settings in [0,1] pixel space.</summary>
public sealed record AttackOptions
{
    /// <summary>Radius of the L-inf ball.</summary>
    public float Eps { get; init; } = 8f / 255f;
    /// <summary>Step size of sign-gradient attacks (APGD picks its own: 2 eps, halved on stalls).</summary>
    public float Alpha { get; init; } = 2f / 255f;
    public int Steps { get; init; } = 10;
    /// <summary>Independent runs; per image the run with the lowest pixel accuracy is kept.</summary>
    public int Restarts { get; init; } = 1;
    /// <summary>Uniform start in the eps ball (PGD); BIM and the legacy protocol start at the image.</summary>
    public bool RandomStart { get; init; }
    public ulong Seed { get; init; }
    public int IgnoreIndex { get; init; } = 255;
    /// <summary>Keep, per image, the iterate with the lowest accuracy seen (costs one extra forward at the
    /// end). Off for the training-time BIM, which uses the last iterate as the original does.</summary>
    public bool KeepBest { get; init; } = true;

    /// <summary>The training-time attack of DESIGN section 5 (TRAIN.attack_eps / attack_steps / attack_alpha):
    /// by default eps 0.03, 3 steps of eps/3, no random start, last iterate.</summary>
    public static AttackOptions Training(float eps = 0.03f, int steps = 3, float? alpha = null, int ignoreIndex = 255) =>
        new() { Eps = eps, Alpha = alpha ?? eps / steps, Steps = steps, RandomStart = false, KeepBest = false, IgnoreIndex = ignoreIndex };

    /// <summary>The paper's test attack (legacy protocol): eps 0.03, 2 steps of 0.01, no random start.</summary>
    public static AttackOptions LegacyBim => new() { Eps = 0.03f, Alpha = 0.01f, Steps = 2, RandomStart = false, KeepBest = false };

    public void Validate()
    {
        if (!(Eps >= 0f) || Eps > 1f) throw new UserInputException($"attack eps must be in [0, 1] (pixel fraction), got {Eps}");
        if (!(Alpha >= 0f)) throw new UserInputException($"attack alpha must be >= 0, got {Alpha}");
        if (Steps < 1) throw new UserInputException($"attack steps must be >= 1, got {Steps}");
        if (Restarts < 1) throw new UserInputException($"attack restarts must be >= 1, got {Restarts}");
    }

    /// <summary>Parses a magnitude: "4/255" (any "a/b"), a fraction "0.03", or a bare number > 1 read
    /// in 1/255 units ("8" = 8/255), since no L-inf radius above 1 makes sense in [0,1] space.</summary>
    public static float ParseMagnitude(string text, string what = "eps")
    {
        var s = text.Trim();
        int slash = s.IndexOf('/');
        if (slash >= 0)
        {
            if (double.TryParse(s[..slash], NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
                && double.TryParse(s[(slash + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var b) && b > 0)
                return (float)(a / b);
        }
        else if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0)
            return (float)(v > 1 ? v / 255.0 : v);
        throw new UserInputException($"{what}: cannot read '{text}'; expected a fraction (0.03), a value over 255 ('4/255') or a number of 1/255 units (4)");
    }
}
