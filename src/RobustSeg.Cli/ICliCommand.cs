using System.CommandLine;

namespace RobustSeg.Cli;

/// <summary>A top-level `robustseg` command. Program finds every implementation by reflection, so each
/// command lives in its own file under Commands/ and nothing central needs editing.</summary>
public interface ICliCommand
{
    Command Build();
}
