namespace RobustSeg.Engine;

/// <summary>Marks an exception caused by the user's input (a file, a key, a value, an option, a device that is
/// not there), not by a bug: the CLI prints its message as one line and exits 2. Anything else is a bug and
/// gets a stack trace and exit 1.</summary>
public interface IUserInputError;

/// <summary>A bad option value or argument given by the user (the message names it and what was expected).</summary>
public class UserInputException(string message, Exception? inner = null) : ArgumentException(message, inner), IUserInputError;
