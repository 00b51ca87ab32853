namespace RobustSeg.Config;

/// <summary>A configuration problem: the message names the file (or `--set`), the key and what was expected.
/// An ArgumentException (InvalidDataException is sealed), so the CLI reports it as a user error (one line, exit 2).</summary>
public sealed class ConfigException(string message) : ArgumentException(message);
