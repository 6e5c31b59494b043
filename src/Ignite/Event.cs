namespace Unified.Ignite;

/// <summary>
/// An event, optionally filtered, as Ignite's <c>Events.ITERATION_COMPLETED(every=100)</c>: an immutable value; every
/// filter method returns a new event. The filter sees the event's counter (iteration for iteration and batch events,
/// epoch for epoch events and <c>Started</c>/<c>Completed</c>, the registered counter for custom events).
/// </summary>
/// <example><code>
/// engine.On(Events.IterationCompleted.Every(100), e =&gt; Console.WriteLine(e.State.Iteration));
/// engine.On(Events.EpochStarted.Every(5).After(8).Before(25), e =&gt; { });   // epochs 9, 14, 19, 24
/// </code></example>
public sealed class Event
{
    readonly Spec? filter;

    internal Event(EventKind kind, string name) => (Kind, Name, Root) = (kind, name, this);

    Event(Event root, Spec filter) => (Kind, Name, Root, this.filter) = (root.Kind, root.Name, root, filter);

    /// <summary>Which moment this event is (<see cref="EventKind.Custom"/> for custom events).</summary>
    public EventKind Kind { get; }

    /// <summary>The event's name, as Ignite's (<c>ITERATION_COMPLETED</c>) or the custom name.</summary>
    public string Name { get; }

    /// <summary>Whether the event carries a filter.</summary>
    public bool IsFiltered => filter is not null;

    /// <summary>The unfiltered event this one filters (itself when unfiltered): what handlers are registered under.</summary>
    internal Event Root { get; }

    /// <summary>A custom event (Ignite's <c>EventEnum</c> member); register it on an engine before use.</summary>
    /// <example><code>static readonly Event BackwardCompleted = Event.Custom("backward_completed");</code></example>
    public static Event Custom(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new Event(EventKind.Custom, name);
    }

    /// <summary>Fires on every <paramref name="n"/>-th occurrence; with <see cref="Before"/>/<see cref="After"/> it counts from the first one after <c>after</c>, as Ignite.</summary>
    public Event Every(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "Every(n) needs a positive n.");
        return With(f => f.EveryN is null && f.IsRange ? f with { EveryN = n } : null, "Every");
    }

    /// <summary>Fires only on the given occurrences (1-based), as Ignite's <c>once=</c> with one value or a list.</summary>
    public Event Once(params long[] occurrences)
    {
        ArgumentNullException.ThrowIfNull(occurrences);
        if (occurrences.Length == 0 || occurrences.Any(o => o < 1))
            throw new ArgumentOutOfRangeException(nameof(occurrences), $"Once needs one or more positive counts, got [{string.Join(", ", occurrences)}].");
        return With(f => f == Spec.None ? f with { OnceAt = [.. occurrences] } : null, "Once");
    }

    /// <summary>Fires on occurrences before <paramref name="n"/> (count &lt; n); combines with <see cref="Every"/> and <see cref="After"/>.</summary>
    public Event Before(long n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "Before(n) needs n >= 0.");
        return With(f => f.BeforeN is null && f.IsRange ? f with { BeforeN = n } : null, "Before");
    }

    /// <summary>Fires on occurrences after <paramref name="n"/> (count &gt; n); combines with <see cref="Every"/> and <see cref="Before"/>.</summary>
    public Event After(long n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "After(n) needs n >= 0.");
        return With(f => f.AfterN is null && f.IsRange ? f with { AfterN = n } : null, "After");
    }

    /// <summary>Fires when <paramref name="predicate"/>(engine, count) holds, as Ignite's <c>event_filter</c>.</summary>
    public Event Filter(Func<Engine, long, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return With(f => f == Spec.None ? f with { Predicate = predicate } : null, "a custom filter");
    }

    /// <summary>Either event (Ignite's <c>|</c>): a handler registered on the list runs for each.</summary>
    public static EventList operator |(Event left, Event right) => new([left, right]);

    internal bool Matches(Engine engine, long count) => filter is null || filter.Matches(engine, count);

    Event With(Func<Spec, Spec?> combine, string what)
    {
        var current = filter ?? Spec.None;
        var next = combine(current) ?? throw new ArgumentException(
            $"{Name} already has {current}; {what} cannot be added to it (Ignite allows Every with Before/After, or one Once, or one custom filter).");
        return new Event(Root, next);
    }

    /// <inheritdoc />
    public override string ToString() => filter is null ? Name : $"{Name}({filter})";

    sealed record Spec(int? EveryN = null, long? BeforeN = null, long? AfterN = null, long[]? OnceAt = null, Func<Engine, long, bool>? Predicate = null)
    {
        public static readonly Spec None = new();

        // Every, Before and After combine with each other, not with Once or a predicate.
        public bool IsRange => OnceAt is null && Predicate is null;

        public bool Matches(Engine engine, long count)
        {
            if (Predicate is not null) return Predicate(engine, count);
            if (OnceAt is not null) return Array.IndexOf(OnceAt, count) >= 0;
            if (BeforeN is null && AfterN is null) return EveryN is not int every || count % every == 0;
            // ignite/engine/events.py every_before_and_after_event_filter: every counts from after + 1.
            long after = AfterN ?? 0;
            return count > after && count < (BeforeN ?? long.MaxValue) && (EveryN is not int n || (count - after - 1) % n == 0);
        }

        public override string ToString() => Predicate is not null ? "a custom filter" : OnceAt is not null ? $"once=[{string.Join(", ", OnceAt)}]"
            : string.Join(", ", new[] { EveryN is { } e ? $"every={e}" : null, BeforeN is { } b ? $"before={b}" : null, AfterN is { } a ? $"after={a}" : null }.Where(s => s is not null));
    }
}
