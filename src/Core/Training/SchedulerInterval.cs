namespace Unified.Core.Training;

/// <summary>When a learning-rate scheduler steps, as Lightning's <c>"interval"</c>.</summary>
public enum SchedulerInterval
{
    /// <summary>After every training epoch.</summary>
    Epoch,

    /// <summary>After every optimiser step.</summary>
    Step,
}
