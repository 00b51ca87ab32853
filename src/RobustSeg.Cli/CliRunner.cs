using System.CommandLine;
using RobustSeg.Engine;

namespace RobustSeg.Cli;

public static class CliRunner
{
    /// <summary>Runs the parsed command; user errors (bad files, keys, devices) print one clear line and
    /// exit 2 instead of a stack trace.</summary>
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            return root.Parse(args).Invoke();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    static bool IsUserError(Exception e) =>
        e is DeviceUnavailableException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
            or ArgumentException or FormatException or KeyNotFoundException;
}
