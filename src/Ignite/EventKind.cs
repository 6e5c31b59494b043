namespace Unified.Ignite;

/// <summary>The moments an <see cref="Engine"/> fires, as Ignite's <c>Events</c> enumeration; <see cref="Custom"/> for registered events.</summary>
public enum EventKind
{
    /// <summary>Once, when <see cref="Engine.Run(Core.Data.IBatchLoader, int?, long?, int?, CancellationToken)"/> starts (counter: epoch).</summary>
    Started,

    /// <summary>At the start of every epoch (counter: epoch).</summary>
    EpochStarted,

    /// <summary>Before the next batch is fetched (counter: iteration, not yet incremented).</summary>
    GetBatchStarted,

    /// <summary>After the batch is fetched (counter: iteration, not yet incremented).</summary>
    GetBatchCompleted,

    /// <summary>Before every iteration's process function (counter: iteration).</summary>
    IterationStarted,

    /// <summary>After every iteration's process function (counter: iteration).</summary>
    IterationCompleted,

    /// <summary>When the data has no more batches and is iterated again (no counter).</summary>
    DataloaderStopIteration,

    /// <summary>At the end of every epoch, also one ended by <see cref="Engine.TerminateEpoch"/> (counter: epoch).</summary>
    EpochCompleted,

    /// <summary>When the process function or a handler throws; without a handler the exception propagates (no counter).</summary>
    ExceptionRaised,

    /// <summary>After <see cref="Engine.TerminateEpoch"/>, before the epoch's <see cref="EpochCompleted"/> (no counter).</summary>
    TerminateSingleEpoch,

    /// <summary>After <see cref="Engine.Terminate"/>, before <see cref="Completed"/> (no counter).</summary>
    Terminate,

    /// <summary>Once, when the run ends normally or is terminated (counter: epoch).</summary>
    Completed,

    /// <summary>
    /// When <see cref="Engine.Interrupt"/> pauses the run (a later run continues) or a cancellation stops it at an
    /// iteration boundary, before the cancellation propagates: the state is consistent, so a checkpoint saved here resumes exactly (no counter).
    /// </summary>
    Interrupt,

    /// <summary>An event made by <see cref="Event.Custom"/> and registered with <see cref="Engine.RegisterEvents(IEnumerable{Event}, string?)"/>.</summary>
    Custom,
}
