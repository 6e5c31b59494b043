namespace Unified.Core.Distributed;

/// <summary>A collective that finished when it started (every collective of a single-process group).</summary>
public sealed class CompletedWork : ICollectiveWork
{
    /// <summary>The shared instance.</summary>
    public static CompletedWork Instance { get; } = new();

    CompletedWork() { }

    /// <inheritdoc />
    public bool Poll() => true;

    /// <inheritdoc />
    public void Wait() { }
}
