namespace RobustSeg.Config;

/// <summary>Training regime of DESIGN section 5.</summary>
public enum Regime
{
    NoDefense,
    Sat,
    DdcAt,
}

public static class RegimeNames
{
    public static string ToKey(this Regime r) => r switch
    {
        Regime.NoDefense => "nodefense",
        Regime.Sat => "sat",
        _ => "ddcat",
    };

    public static bool TryParse(string s, out Regime r)
    {
        switch (s.Trim().ToLowerInvariant())
        {
            case "nodefense": r = Regime.NoDefense; return true;
            case "sat": r = Regime.Sat; return true;
            case "ddcat": r = Regime.DdcAt; return true;
            default: r = default; return false;
        }
    }
}
