namespace Unified.Lightning;

/// <summary>When a <see cref="Timer"/> checks its duration (Lightning's <c>Interval</c> of callbacks/timer.py).</summary>
public enum TimerInterval
{
    /// <summary>After every training batch: the fit stops mid-epoch (Lightning's default).</summary>
    Step,

    /// <summary>At the end of every training epoch.</summary>
    Epoch,
}
