using System.Diagnostics;

namespace Unified.Ignite;

/// <summary>Terminates the engine once <c>limit</c> has passed since the handler was made, as Ignite's <c>TimeLimit</c>.</summary>
/// <example><code>trainer.On(Events.IterationCompleted, new TimeLimit(TimeSpan.FromHours(1)).Handle);</code></example>
public sealed class TimeLimit
{
    readonly long start = Stopwatch.GetTimestamp();

    /// <summary>Creates the handler.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not positive.</exception>
    public TimeLimit(TimeSpan limit)
    {
        if (limit <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(limit), limit, "The time limit must be positive.");
        Limit = limit;
    }

    /// <summary>The limit.</summary>
    public TimeSpan Limit { get; }

    /// <summary>The handler to attach (e.g. to <c>IterationCompleted</c>).</summary>
    public void Handle(Engine engine)
    {
        if (Stopwatch.GetElapsedTime(start) > Limit) engine.Terminate();
    }
}
