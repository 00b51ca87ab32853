using System.CommandLine;
using RobustSeg.Engine;

namespace RobustSeg.Cli;

public static class CliRunner
{
    /// <summary>The root command with every ICliCommand of this assembly (found by reflection).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("RobustSeg: robust semantic segmentation (PSPNet/DeepLabV3, SAT, DDC-AT) on a C#/ILGPU tensor engine");
        foreach (var t in typeof(CliRunner).Assembly.GetTypes()
                     .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
                     .OrderBy(t => t.Name))
            root.Subcommands.Add(((ICliCommand)Activator.CreateInstance(t)!).Build());
        return root;
    }

    /// <summary>Runs a command line in-process with stdout/stderr captured (tests).</summary>
    public static (int Code, string Out, string Err) Capture(params string[] args)
    {
        var (o, e) = (Console.Out, Console.Error);
        var so = new StringWriter(); var se = new StringWriter();
        Console.SetOut(so); Console.SetError(se);
        try { return (Run(BuildRoot(), args), so.ToString(), se.ToString()); }
        finally { Console.SetOut(o); Console.SetError(e); }
    }

    /// <summary>Runs the parsed command; user errors (bad files, keys, devices) print one clear line and
    /// exit 2 instead of a stack trace.</summary>
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
