namespace Unified.Cli.Fit;

/// <summary>A stop signal and the exit code it maps to.</summary>
/// <param name="Name">SIGTERM or SIGINT.</param>
/// <param name="ExitCode">143 or 130 (128 + the signal number).</param>
public sealed record ReceivedSignal(string Name, int ExitCode);
