namespace RobustSeg.Config;

/// <summary>The model shape rules, in one place: the config validator, the model builder and the commands
/// all ask here. Dilated ResNets with output stride 8 need input sides with (size - 1) % 8 == 0.</summary>
public static class ModelRules
{
    public static readonly string[] Archs = ["psp", "aspp"];
    public static readonly int[] SupportedLayers = [18, 34, 50, 101, 152];
    public static readonly int[] ZoomFactors = [1, 2, 4, 8];
    public const int MinClasses = 2;
    /// <summary>Labels are bytes with 255 as the ignore label.</summary>
    public const int MaxClasses = 255;
    public const double MaxWidth = 4;

    public static bool IsValidSide(int size) => size >= 9 && (size - 1) % 8 == 0;

    /// <summary>The nearest valid sides, for messages ("473 or 481").</summary>
    public static string NearestValidSide(int s)
    {
        int lo = Math.Max(9, (s - 1) / 8 * 8 + 1);
        return lo == s ? $"{s + 8}" : $"{lo} or {lo + 8}";
    }

    /// <summary>Null when valid, else what is wrong (the caller names the key or the model).</summary>
    public static string? CheckSide(int size) => IsValidSide(size) ? null
        : $"must satisfy (size - 1) % 8 == 0 and be at least 9, got {size} (e.g. {NearestValidSide(size)})";
}
