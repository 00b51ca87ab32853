namespace RobustSeg.Config;

/// <summary>A configuration problem: the message names the file (or `--set`), the key and what was expected.
/// A user-input error: the CLI reports it as one line, exit 2.</summary>
public sealed class ConfigException(string message) : RobustSeg.Engine.UserInputException(message);
