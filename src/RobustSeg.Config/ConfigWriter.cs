using System.Collections;
using System.Globalization;
using System.Text;

namespace RobustSeg.Config;

/// <summary>Writes a configuration back as YAML that ConfigLoader reads to the same values (saved next to
/// checkpoints so a run records exactly what it used).</summary>
public static class ConfigWriter
{
    public static string ToYaml(RunConfig cfg)
    {
        var sb = new StringBuilder();
        foreach (var section in ConfigKeys.Sections)
        {
            sb.Append(section).Append(":\n");
            foreach (var k in ConfigKeys.All.Where(k => k.Section == section))
            {
                var v = Format(k.Get(cfg));
                sb.Append("  ").Append(k.Name).Append(':');
                if (v.Length > 0) sb.Append(' ').Append(v);
                sb.Append('\n');
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    static string Format(object? v) => v switch
    {
        null => "",
        string s => Quote(s),
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d),
        Regime r => r.ToKey(),
        IEnumerable e => "[" + string.Join(", ", e.Cast<object>().Select(Format)) + "]",
        _ => v.ToString() ?? "",
    };

    // Always keep a decimal point so the value reads back as a number, never as an integer or a string.
    static string FormatDouble(double d)
    {
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') || s.Contains('e') ? s : s + ".0";
    }

    // Single quotes keep every string a string (paths with ':' or '#', empty values, "true", numbers).
    static string Quote(string s) => "'" + s.Replace("'", "''") + "'";
}
