using System.CommandLine;
using RobustSeg.Config;

namespace RobustSeg.Cli.Commands;

/// <summary>`--config FILE` and `--set key=value`, declared once for every command that reads a config
/// (train, test, attack, data check, reproduce takes --set alone): all of them load it through
/// <see cref="RunConfig.Load"/>, so one file gives every command the same values and the same errors.</summary>
public sealed class ConfigCliOptions(bool required = true)
{
    public Option<string?> Config { get; } = new("--config")
    {
        Description = "YAML config (semseg keys: DATA, TRAIN, Distributed, TEST; see config/README.md)",
        Required = required,
    };

    public Option<string[]> Set { get; } = new("--set")
    {
        Description = "override a key: TRAIN.base_lr=0.02 or base_lr=0.02 (repeatable; paths relative to the working directory)",
        AllowMultipleArgumentsPerToken = false,
        DefaultValueFactory = _ => [],
    };

    public IEnumerable<Option> All => [Config, Set];

    public bool Given(ParseResult pr) => pr.GetValue(Config) is not null;

    public RunConfig Load(ParseResult pr) =>
        RunConfig.Load(pr.GetValue(Config) ?? throw new ConfigException("--config FILE is required"), pr.GetValue(Set));
}
