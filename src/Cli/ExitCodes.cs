namespace Unified.Cli;

/// <summary>Process exit codes of <c>unified</c>.</summary>
public static class ExitCodes
{
    /// <summary>The command succeeded.</summary>
    public const int Success = 0;

    /// <summary>The command ran and failed (bad data file, training error).</summary>
    public const int Failure = 1;

    /// <summary>The command line was invalid.</summary>
    public const int Usage = 2;

    /// <summary>
    /// Stopped by Ctrl+C (SIGINT) after saving a resumable checkpoint: 128 + 2. Also the code of data-parallel ranks
    /// stopped together by the launcher's forwarded stop signal.
    /// </summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM after saving a resumable checkpoint: 128 + 15.</summary>
    public const int Terminated = 143;
}
