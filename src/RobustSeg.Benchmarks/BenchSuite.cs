using RobustSeg.Engine;

namespace RobustSeg.Benchmarks;

/// <summary>A named option of a bench suite (becomes `--name` on `robustseg bench SUITE`).</summary>
/// <summary>A suite option: `--name value`, or with <paramref name="Flag"/> a switch `--name` (value "true"/"false").</summary>
public sealed record BenchOption(string Name, string Default, string Description, bool Flag = false)
{
    /// <summary>`--serve` of a suite whose one run is what (<see cref="BenchRunner.Serve"/>), for script's --paired.</summary>
    public static BenchOption Serve(string what, string script) => new("serve", "false",
        $"warm up, print serve_ready, then for each line read from stdin (a run count) run {what} that many times and print serve_ms,<median ms> (no CSV): for scripts/{script} --paired",
        Flag: true);
}

/// <summary>What a suite gets: the device, its options, a log for progress on standard error.</summary>
public sealed class BenchContext(Device device, IReadOnlyDictionary<string, string> options)
{
    public Device Device { get; } = device;
    public string Get(string name) => options.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"bench option --{name} missing");
    public int Int(string name) => int.TryParse(Get(name), out var v) ? v : throw new UserInputException($"--{name}: expected an integer, got '{Get(name)}'");
    public bool Flag(string name) => Get(name) == "true";
    public double Double(string name) => double.TryParse(Get(name), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : throw new UserInputException($"--{name}: expected a number, got '{Get(name)}'");
    /// <summary>A comma-separated list option whose items must be among known.</summary>
    public HashSet<string> Set(string name, params string[] known)
    {
        var set = Get(name).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        if (set.FirstOrDefault(c => !known.Contains(c)) is { } bad)
            throw new UserInputException($"--{name}: unknown item '{bad}' (expected some of {string.Join(", ", known)})");
        return set;
    }
    public void Log(string message) => Console.Error.WriteLine(message);
    /// <summary>Waits for queued device work (no-op on the CPU).</summary>
    public void Sync() => Device.Synchronize();

    /// <summary>Whether `--serve` asks for <see cref="Serve"/>; it serves one thing, so count (of what, named by the
    /// option it came from) must be 1.</summary>
    public bool Serving(int count, string what, string option)
    {
        if (!Flag("serve")) return false;
        if (count != 1) throw new UserInputException($"--serve: expected one {what}, got '{Get(option)}'");
        return true;
    }

    /// <summary>Runs run on request from standard input until it ends (<see cref="BenchRunner.Serve"/>).</summary>
    public void Serve(Action run) => BenchRunner.Serve(run, Sync, Console.In, Console.Out);
}

/// <summary>A `robustseg bench NAME` subcommand. Implementations in this assembly are found by reflection.</summary>
public interface IBenchSuite
{
    string Name { get; }
    string Description { get; }
    IReadOnlyList<BenchOption> Options { get; }
    IEnumerable<BenchRow> Run(BenchContext ctx);
}
