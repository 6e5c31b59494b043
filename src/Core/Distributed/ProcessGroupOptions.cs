using Unified.Core.Runtime;

namespace Unified.Core.Distributed;

/// <summary>Options of a process group, as the arguments of PyTorch's <c>init_process_group</c>.</summary>
public sealed class ProcessGroupOptions
{
    /// <summary>The environment variable that overrides <see cref="Timeout"/> (seconds), e.g. for launchers and tests.</summary>
    public const string TimeoutVariable = "UNIFIED_DIST_TIMEOUT";

    /// <summary>
    /// How long a collective waits for the other ranks before it fails (default 5 minutes, or
    /// <c>UNIFIED_DIST_TIMEOUT</c> seconds when set). MPI's own collectives have no timeout; this one is enforced by polling.
    /// </summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout();

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Validate()
    {
        if (Timeout <= TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "Timeout must be positive (or Timeout.InfiniteTimeSpan).");
    }

    // A month bounds the deadline arithmetic (1e99 seconds overflowed TimeSpan).
    static TimeSpan DefaultTimeout() => EnvironmentSettings.Seconds(TimeoutVariable, TimeSpan.FromMinutes(5), TimeSpan.FromDays(30));
}
