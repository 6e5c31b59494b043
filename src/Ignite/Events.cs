namespace Unified.Ignite;

/// <summary>The built-in events, as Ignite 0.5's <c>Events.*</c>; filter them with <c>Every</c>, <c>Once</c>, <c>Before</c>, <c>After</c>, <c>Filter</c>.</summary>
public static class Events
{
    /// <summary>Once, when the run starts.</summary>
    public static Event Started { get; } = new(EventKind.Started, "STARTED");

    /// <summary>At the start of every epoch.</summary>
    public static Event EpochStarted { get; } = new(EventKind.EpochStarted, "EPOCH_STARTED");

    /// <summary>Before the next batch is fetched.</summary>
    public static Event GetBatchStarted { get; } = new(EventKind.GetBatchStarted, "GET_BATCH_STARTED");

    /// <summary>After the batch is fetched.</summary>
    public static Event GetBatchCompleted { get; } = new(EventKind.GetBatchCompleted, "GET_BATCH_COMPLETED");

    /// <summary>Before every iteration.</summary>
    public static Event IterationStarted { get; } = new(EventKind.IterationStarted, "ITERATION_STARTED");

    /// <summary>After every iteration.</summary>
    public static Event IterationCompleted { get; } = new(EventKind.IterationCompleted, "ITERATION_COMPLETED");

    /// <summary>When the data is exhausted and iterated again.</summary>
    public static Event DataloaderStopIteration { get; } = new(EventKind.DataloaderStopIteration, "DATALOADER_STOP_ITERATION");

    /// <summary>At the end of every epoch.</summary>
    public static Event EpochCompleted { get; } = new(EventKind.EpochCompleted, "EPOCH_COMPLETED");

    /// <summary>When an exception escapes the process function or a handler.</summary>
    public static Event ExceptionRaised { get; } = new(EventKind.ExceptionRaised, "EXCEPTION_RAISED");

    /// <summary>After <see cref="Engine.TerminateEpoch"/> ends an epoch early.</summary>
    public static Event TerminateSingleEpoch { get; } = new(EventKind.TerminateSingleEpoch, "TERMINATE_SINGLE_EPOCH");

    /// <summary>After <see cref="Engine.Terminate"/> ends the run early, before <see cref="Completed"/>.</summary>
    public static Event Terminate { get; } = new(EventKind.Terminate, "TERMINATE");

    /// <summary>Once, when the run ends (also when terminated).</summary>
    public static Event Completed { get; } = new(EventKind.Completed, "COMPLETED");

    /// <summary>When the run is interrupted (<see cref="Engine.Interrupt"/>) or cancelled between iterations (Ignite's <c>INTERRUPT</c>).</summary>
    public static Event Interrupt { get; } = new(EventKind.Interrupt, "INTERRUPT");

    /// <summary>Every built-in event, in Ignite's order.</summary>
    public static IReadOnlyList<Event> All { get; } =
        [Started, EpochStarted, GetBatchStarted, GetBatchCompleted, IterationStarted, IterationCompleted, DataloaderStopIteration,
         EpochCompleted, ExceptionRaised, TerminateSingleEpoch, Terminate, Completed, Interrupt];
}
