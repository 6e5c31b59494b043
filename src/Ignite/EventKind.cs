namespace Unified.Ignite;

/// <summary>The moments an <see cref="Engine"/> fires, as Ignite's <c>Events</c> enumeration.</summary>
public enum EventKind
{
    /// <summary>Once, when <see cref="Engine.Run"/> starts.</summary>
    Started,

    /// <summary>At the start of every epoch.</summary>
    EpochStarted,

    /// <summary>Before every iteration's process function.</summary>
    IterationStarted,

    /// <summary>After every iteration's process function.</summary>
    IterationCompleted,

    /// <summary>At the end of every epoch.</summary>
    EpochCompleted,

    /// <summary>Once, when the run ends normally or is terminated.</summary>
    Completed,

    /// <summary>When the process function or a handler throws; without a handler the exception propagates.</summary>
    ExceptionRaised,

    /// <summary>
    /// When the run is cancelled at an iteration boundary (Ignite's <c>INTERRUPT</c>), before the cancellation
    /// propagates: the state is consistent, so a checkpoint saved here resumes exactly.
    /// </summary>
    Interrupt,
}
