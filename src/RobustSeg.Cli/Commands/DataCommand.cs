using System.CommandLine;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg data check|synth`: dataset validation and the embedded synthetic dataset.</summary>
public sealed class DataCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("data", "Dataset tools: check a dataset, generate the synthetic dataset");
        cmd.Subcommands.Add(DataCheckCommand.Build());
        cmd.Subcommands.Add(DataSynthCommand.Build());
        return cmd;
    }
}
