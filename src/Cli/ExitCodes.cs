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

    /// <summary>The command was interrupted (SIGTERM, Ctrl+C), on every rank together under data parallelism.</summary>
    public const int Interrupted = 130;
}
