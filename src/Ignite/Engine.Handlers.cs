namespace Unified.Ignite;

public partial class Engine
{
    // Copy-on-write arrays: firing iterates without allocating, and a handler may remove itself (or others) while its event fires.
    readonly Dictionary<Event, Entry[]> handlers = [];
    // Registered custom events and the state counter their filters see (null: none).
    readonly Dictionary<Event, string?> customEvents = [];
    Event? lastEvent;
    Exception? raised;

    // Handler is what the user registered (found again by removal, named by profilers); Run calls it.
    sealed record Entry(Event Event, Delegate Handler, Action<Engine> Run);

    /// <summary>The last event fired (Ignite's <c>last_event_name</c>), or null before the first run.</summary>
    public Event? LastEvent => lastEvent;

    /// <summary>Adds <paramref name="handler"/> for <paramref name="evt"/>; dispose the returned handle to remove it.</summary>
    /// <exception cref="ArgumentException"><paramref name="evt"/> is a custom event not registered here, or filtered without a counter.</exception>
    public RemovableHandle On(Event evt, Action<Engine> handler) => Add(evt, handler, handler);

    /// <summary>Adds a handler that does not need the engine.</summary>
    public RemovableHandle On(Event evt, Action handler) => Add(evt, handler, _ => handler());

    /// <summary>Adds <paramref name="handler"/> for every event of <paramref name="events"/>.</summary>
    public RemovableHandle On(EventList events, Action<Engine> handler)
    {
        ArgumentNullException.ThrowIfNull(events);
        var added = events.Events.Select(e => Add(e, handler, handler)).ToList();
        return new RemovableHandle(() => added.ForEach(h => h.Remove()));
    }

    /// <summary>
    /// Handles exceptions from the process function or handlers (Ignite's rules: one raised in an iteration ends that
    /// epoch, whose <c>EpochCompleted</c> still fires, and the run goes on; one raised elsewhere ends the run without
    /// <c>Completed</c>). With such a handler the exception does not propagate unless the handler rethrows; cancellation always propagates.
    /// </summary>
    public RemovableHandle On(Event evt, Action<Engine, Exception> handler) =>
        evt?.Kind == EventKind.ExceptionRaised
            ? Add(evt, handler, e => handler(e, e.raised!))
            : throw new ArgumentException($"Handlers with an exception argument are for {EventKind.ExceptionRaised} only, not {evt?.Name}.", nameof(evt));

    /// <summary>Ignite's <c>add_event_handler</c>: the same as <see cref="On(Event, Action{Engine})"/>.</summary>
    public RemovableHandle AddEventHandler(Event evt, Action<Engine> handler) => Add(evt, handler, handler);

    /// <summary>Whether <paramref name="handler"/> is registered for <paramref name="evt"/> (any event when null), as Ignite's <c>has_event_handler</c>.</summary>
    public bool HasEventHandler(Delegate handler, Event? evt = null) =>
        handlers.Where(kv => evt is null || kv.Key == evt.Root).Any(kv => kv.Value.Any(entry => entry.Handler.Equals(handler)));

    /// <summary>Removes every registration of <paramref name="handler"/> for <paramref name="evt"/>, as Ignite's <c>remove_event_handler</c>.</summary>
    /// <exception cref="ArgumentException">The handler is not registered for that event.</exception>
    public void RemoveEventHandler(Delegate handler, Event evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (!handlers.TryGetValue(evt.Root, out var entries) || !entries.Any(e => e.Handler.Equals(handler)))
            throw new ArgumentException($"The handler is not registered for {evt.Name}.", nameof(handler));
        Replace(evt.Root, [.. entries.Where(e => !e.Handler.Equals(handler))]);
    }

    /// <summary>Whether any handler is registered for the built-in event <paramref name="kind"/>.</summary>
    public bool HasHandlers(EventKind kind) => handlers.Keys.Any(e => e.Kind == kind && e.Kind != EventKind.Custom);

    /// <summary>Whether any handler is registered for <paramref name="evt"/> (filters aside).</summary>
    public bool HasHandlers(Event evt) => evt is not null && handlers.ContainsKey(evt.Root);

    /// <summary>
    /// Registers custom events (Ignite's <c>register_events</c>) so that handlers can attach to them and
    /// <see cref="FireEvent"/> can fire them; <paramref name="counter"/> names the state counter their filters see
    /// (<c>iteration</c>, <c>epoch</c>, or an entry of <see cref="State.Extras"/> the process function advances), as Ignite's <c>event_to_attr</c>.
    /// </summary>
    /// <example><code>
    /// var backward = Event.Custom("backward_completed");
    /// engine.RegisterEvents([backward], counter: "iteration");
    /// engine.On(backward.Every(10), e =&gt; { });   // the process function calls e.FireEvent(backward)
    /// </code></example>
    public void RegisterEvents(IEnumerable<Event> events, string? counter = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var evt in events)
        {
            if (evt is null || evt.Kind != EventKind.Custom || evt.IsFiltered)
                throw new ArgumentException($"RegisterEvents takes unfiltered events made by Event.Custom, not {evt?.ToString() ?? "null"}.", nameof(events));
            customEvents[evt] = counter;
        }
    }

    /// <summary>Registers custom events without a counter.</summary>
    public void RegisterEvents(params Event[] events) => RegisterEvents(events, null);

    /// <summary>Whether <paramref name="evt"/> may be used on this engine (built-in, or registered), as Ignite's <c>has_registered_events</c>.</summary>
    public bool HasRegisteredEvents(Event evt) => evt is not null && (evt.Kind != EventKind.Custom || customEvents.ContainsKey(evt.Root));

    /// <summary>Runs the handlers of <paramref name="evt"/> now, as Ignite's <c>fire_event</c> (custom events fired from the process function or handlers).</summary>
    /// <exception cref="ArgumentException"><paramref name="evt"/> is a custom event not registered here.</exception>
    public void FireEvent(Event evt)
    {
        ThrowIfNotRegistered(evt);
        Fire(evt.Root);
    }

    /// <summary>Adds <paramref name="handler"/> before the event's other handlers (profilers time what follows it).</summary>
    internal RemovableHandle Prepend(Event evt, Action<Engine> handler) => Add(evt, handler, handler, first: true);

    /// <summary>The handlers registered for <paramref name="evt"/>, in firing order.</summary>
    internal IEnumerable<Delegate> HandlersOf(Event evt) => handlers.TryGetValue(evt.Root, out var entries) ? entries.Select(e => e.Handler) : [];

    RemovableHandle Add(Event evt, Delegate handler, Action<Engine> run, bool first = false)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfNotRegistered(evt);
        if (evt.IsFiltered && CounterName(evt.Root) is null)
            throw new ArgumentException($"{evt.Name} has no counter for a filter to count; attach the handler unfiltered" +
                (evt.Kind == EventKind.Custom ? ", or register the event with a counter." : "."), nameof(evt));
        var entry = new Entry(evt, handler, run);
        Replace(evt.Root, !handlers.TryGetValue(evt.Root, out var entries) ? [entry] : first ? [entry, .. entries] : [.. entries, entry]);
        return new RemovableHandle(() =>
        {
            if (handlers.TryGetValue(evt.Root, out var current)) Replace(evt.Root, [.. current.Where(e => !ReferenceEquals(e, entry))]);
        });
    }

    void Replace(Event root, Entry[] entries)
    {
        if (entries.Length == 0) handlers.Remove(root);
        else handlers[root] = entries;
    }

    void ThrowIfNotRegistered(Event evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (!HasRegisteredEvents(evt))
            throw new ArgumentException($"Event '{evt.Name}' is not registered on this engine; call RegisterEvents([{evt.Name}]) first.", nameof(evt));
    }

    // ignite/engine/events.py State.event_to_attr: the counter each event's filter sees.
    string? CounterName(Event root) => root.Kind switch
    {
        EventKind.Started or EventKind.EpochStarted or EventKind.EpochCompleted or EventKind.Completed => "epoch",
        EventKind.GetBatchStarted or EventKind.GetBatchCompleted or EventKind.IterationStarted or EventKind.IterationCompleted => "iteration",
        EventKind.Custom => customEvents.GetValueOrDefault(root),
        _ => null,
    };

    void Fire(Event root)
    {
        lastEvent = root;
        if (!handlers.TryGetValue(root, out var entries)) return;
        long count = CounterName(root) is { } name ? State.Counter(name) : 0;
        foreach (var entry in entries)
        {
            if (!entry.Event.Matches(this, count)) continue;
            var timer = HandlerTimer;
            long start = timer is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
            entry.Run(this);
            timer?.Invoke(root, entry.Handler, System.Diagnostics.Stopwatch.GetElapsedTime(start));
        }
    }

    /// <summary>Called after every handler with the event, the handler and its duration (set by <see cref="HandlersTimeProfiler"/>); null costs nothing.</summary>
    internal Action<Event, Delegate, TimeSpan>? HandlerTimer { get; set; }

    void FireExceptionRaised(Exception exception)
    {
        raised = exception;
        Fire(Events.ExceptionRaised);
    }
}
