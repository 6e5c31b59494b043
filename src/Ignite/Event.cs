namespace Unified.Ignite;

/// <summary>
/// An event with an optional filter, as Ignite's <c>Events.ITERATION_COMPLETED(every=100)</c>. The filter receives
/// the engine and the event's count (iteration for iteration events, epoch for epoch events, 1 for the others).
/// </summary>
/// <example><code>engine.On(Events.IterationCompleted.Every(100), e =&gt; Console.WriteLine(e.State.Iteration));</code></example>
public sealed class Event
{
    readonly Func<Engine, long, bool>? filter;

    internal Event(EventKind kind, Func<Engine, long, bool>? filter = null) => (Kind, this.filter) = (kind, filter);

    /// <summary>Which moment this event is.</summary>
    public EventKind Kind { get; }

    /// <summary>Fires on every <paramref name="n"/>-th occurrence (count divisible by n).</summary>
    public Event Every(int n)
    {
        RequirePositive(n);
        return With((_, count) => count % n == 0);
    }

    /// <summary>Fires only on occurrence <paramref name="n"/> (1-based).</summary>
    public Event Once(int n)
    {
        RequirePositive(n);
        return With((_, count) => count == n);
    }

    /// <summary>Fires on occurrences before <paramref name="n"/> (count &lt; n).</summary>
    public Event Before(int n)
    {
        RequirePositive(n);
        return With((_, count) => count < n);
    }

    /// <summary>Fires on occurrences after <paramref name="n"/> (count &gt; n).</summary>
    public Event After(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return With((_, count) => count > n);
    }

    /// <summary>Fires when <paramref name="predicate"/>(engine, count) holds, as Ignite's <c>event_filter</c>.</summary>
    public Event Filter(Func<Engine, long, bool> predicate) => With(predicate ?? throw new ArgumentNullException(nameof(predicate)));

    /// <summary>Either event (Ignite's <c>|</c>): a handler registered on the list runs for each.</summary>
    public static EventList operator |(Event left, Event right) => new([left, right]);

    internal bool Matches(Engine engine, long count) => filter is null || filter(engine, count);

    Event With(Func<Engine, long, bool> next)
    {
        if (filter is not null)
            throw new InvalidOperationException($"{Kind} already has a filter; combine conditions in one Filter(...) instead of chaining.");
        return new Event(Kind, next);
    }

    static void RequirePositive(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "Event filters need a positive count.");
    }

    /// <inheritdoc />
    public override string ToString() => filter is null ? Kind.ToString() : $"{Kind}(filtered)";
}
