using RobustSeg.Adversarial.Attacks;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Evaluation.Sweep;

/// <summary>`--eps` of a sweep: one radius or a comma-separated list. A trailing "/255" on the last entry applies to
/// every bare number before it (`0,2,4,8/255` = 0, 2/255, 4/255, 8/255); otherwise each entry is read on its own as
/// <see cref="AttackOptions.ParseMagnitude"/> does (0.01,0.03 or 2/255,4/255). Returned as the texts AttackSetup takes,
/// in the order given, duplicates dropped.</summary>
public static class EpsList
{
    public static IReadOnlyList<string> Parse(string text, string what = "--eps")
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0)) throw new UserInputException($"{what}: empty entry in '{text}'");
        bool over255 = parts.Length > 1 && parts[^1].EndsWith("/255", StringComparison.Ordinal) && parts[..^1].All(p => !p.Contains('/'));
        var list = parts.Select(p => over255 && !p.Contains('/') ? p + "/255" : p).ToList();
        var seen = new HashSet<float>();
        var result = new List<string>();
        foreach (var p in list)
            if (seen.Add(AttackOptions.ParseMagnitude(p, what))) result.Add(p);
        return result;
    }

    /// <summary>A comma-separated list of names (attacks), trimmed, duplicates dropped.</summary>
    public static IReadOnlyList<string> Names(string text, string what)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0)) throw new UserInputException($"{what}: empty entry in '{text}'");
        return parts.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }
}
