namespace Unified.Ignite;

/// <summary>Several events that share handlers, made with <c>|</c> (Ignite's <c>EventsList</c>).</summary>
public sealed class EventList(IReadOnlyList<Event> events)
{
    /// <summary>The events in the list.</summary>
    public IReadOnlyList<Event> Events { get; } = events;

    /// <summary>Adds another event.</summary>
    public static EventList operator |(EventList left, Event right) => new([.. left.Events, right]);
}
