using RobustSeg.Engine;

namespace RobustSeg.Benchmarks;

/// <summary>A named option of a bench suite (becomes `--name` on `robustseg bench SUITE`).</summary>
/// <summary>A suite option: `--name value`, or with <paramref name="Flag"/> a switch `--name` (value "true"/"false").</summary>
public sealed record BenchOption(string Name, string Default, string Description, bool Flag = false);

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
}

/// <summary>A `robustseg bench NAME` subcommand. Implementations in this assembly are found by reflection.</summary>
public interface IBenchSuite
{
    string Name { get; }
    string Description { get; }
    IReadOnlyList<BenchOption> Options { get; }
    IEnumerable<BenchRow> Run(BenchContext ctx);
}
