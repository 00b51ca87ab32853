namespace RobustSeg.Adversarial.Config;

/// <summary>A configuration problem: the message names the file (or `--set`), the key and what was expected.</summary>
public sealed class ConfigException(string message) : Exception(message);
