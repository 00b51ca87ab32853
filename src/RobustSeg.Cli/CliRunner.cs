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

    /// <summary>Runs the parsed command with the one error policy of the CLI: an error caused by the input
    /// (a bad file, key, value, option, missing device: <see cref="IsUserError"/>) prints one line naming it and
    /// exits 2; anything else is a bug and prints its stack trace and exits 1.</summary>
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            int code = root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            Distributed.DistributedLaunch.Finish();
            return code;
        }
        catch (Exception e) when (IsUserError(e))
        {
            return Fail(2, OneLine(e.Message));
        }
        catch (Exception e)
        {
            return Fail(1, $"internal error (a bug; please report it with this trace): {e}");
        }
    }

    /// <summary>Under mpirun the line names the rank, and a job of several ranks is stopped as a whole
    /// (MPI_Abort): the other ranks would otherwise wait in their next collective forever.</summary>
    static int Fail(int code, string message)
    {
        if (Distributed.DistributedLaunch.Current is { WorldSize: > 1 } g) g.Abort(code, message);
        var rank = Distributed.LaunchEnvironment.UnderMpirun ? $"rank {Distributed.LaunchEnvironment.Rank}: " : "";
        Console.Error.WriteLine($"error: {rank}{message}");
        return code;
    }

    /// <summary>The project's user-input errors, and the BCL's for files that are missing, unreadable or not
    /// what they claim to be. Wrappers (a loader worker's, an aggregate) count by what they wrap.</summary>
    public static bool IsUserError(Exception e) => e switch
    {
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsUserError),
        Data.DataLoadException d => d.InnerException is null || IsUserError(d.InnerException),
        IUserInputError => true,
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UnauthorizedAccessException
            or EndOfStreamException => true,
        System.Text.Json.JsonException or YamlDotNet.Core.YamlException => true,
        _ => false,
    };

    static string OneLine(string m) => m.ReplaceLineEndings(" ").Trim();
}
