using System.CommandLine;

namespace RobustSeg.Cli.Commands;

/// <summary>The command line as a user would retype it in a POSIX shell (shown in report.html).</summary>
public static class CommandLineText
{
    public static string Of(ParseResult pr) => "robustseg " + string.Join(' ', pr.Tokens.Select(t => Quote(t.Value)));

    static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=,:+@".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
