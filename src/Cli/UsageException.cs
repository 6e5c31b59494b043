namespace Unified.Cli;

/// <summary>A command line that asks for something invalid: reported without a stack trace, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
