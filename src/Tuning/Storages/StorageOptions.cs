namespace Unified.Tuning.Storages;

/// <summary>
/// Heartbeat settings of the persistent storages (Optuna's <c>heartbeat_interval</c> and <c>grace_period</c>). In a
/// storage URI: <c>?heartbeat_interval=SECONDS&amp;grace_period=SECONDS</c>.
/// </summary>
public sealed record StorageOptions
{
    /// <summary>How often a running trial's worker records that it is alive (default 10 s); null turns heartbeats off.</summary>
    public TimeSpan? HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long without a heartbeat marks a running trial failed (default: twice the interval, as Optuna).</summary>
    public TimeSpan? GracePeriod { get; init; }

    /// <summary>How long to wait for a Redis server to answer when connecting (default 5 s); SQLite waits up to 30 s for a locked file.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The grace period in effect.</summary>
    public TimeSpan EffectiveGracePeriod => GracePeriod ?? (HeartbeatInterval is { } beat ? 2 * beat : TimeSpan.Zero);

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (HeartbeatInterval is { } beat && beat <= TimeSpan.Zero) throw new ArgumentException($"heartbeat_interval must be positive, got {beat.TotalSeconds} s.");
        if (GracePeriod is { } grace && (grace <= TimeSpan.Zero || HeartbeatInterval is { } b && grace < b))
            throw new ArgumentException($"grace_period ({grace.TotalSeconds} s) must be positive and at least the heartbeat interval.");
        if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentException("The connect timeout must be positive.");
    }
}
