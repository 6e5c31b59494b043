namespace Unified.Core.Logging;

/// <summary>How a run ended, as loggers record it (Lightning's <c>finalize(status)</c>, MLflow's run status).</summary>
public enum RunStatus
{
    /// <summary>The fit ran to its end.</summary>
    Success,

    /// <summary>The fit stopped with an exception.</summary>
    Failed,

    /// <summary>The fit was cancelled (MLflow's <c>KILLED</c>).</summary>
    Cancelled,
}
