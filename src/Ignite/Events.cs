namespace Unified.Ignite;

/// <summary>The standard events, as Ignite's <c>Events.*</c>; filter them with <c>Every</c>, <c>Once</c>, <c>Before</c>, <c>After</c>.</summary>
public static class Events
{
    /// <summary>Once, when the run starts.</summary>
    public static Event Started { get; } = new(EventKind.Started);

    /// <summary>At the start of every epoch.</summary>
    public static Event EpochStarted { get; } = new(EventKind.EpochStarted);

    /// <summary>Before every iteration.</summary>
    public static Event IterationStarted { get; } = new(EventKind.IterationStarted);

    /// <summary>After every iteration.</summary>
    public static Event IterationCompleted { get; } = new(EventKind.IterationCompleted);

    /// <summary>At the end of every epoch.</summary>
    public static Event EpochCompleted { get; } = new(EventKind.EpochCompleted);

    /// <summary>Once, when the run ends.</summary>
    public static Event Completed { get; } = new(EventKind.Completed);

    /// <summary>When an exception escapes the process function or a handler.</summary>
    public static Event ExceptionRaised { get; } = new(EventKind.ExceptionRaised);

    /// <summary>When the run is cancelled between iterations, before the cancellation propagates (Ignite's <c>INTERRUPT</c>).</summary>
    public static Event Interrupt { get; } = new(EventKind.Interrupt);
}
