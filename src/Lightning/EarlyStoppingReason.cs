namespace Unified.Lightning;

/// <summary>Why <see cref="EarlyStopping"/> stopped a fit (Lightning's <c>EarlyStoppingReason</c>).</summary>
public enum EarlyStoppingReason
{
    /// <summary>It has not stopped the fit.</summary>
    NotStopped,

    /// <summary>The monitored value reached <see cref="EarlyStoppingOptions.StoppingThreshold"/>.</summary>
    StoppingThreshold,

    /// <summary>The monitored value crossed <see cref="EarlyStoppingOptions.DivergenceThreshold"/>.</summary>
    DivergenceThreshold,

    /// <summary><see cref="EarlyStoppingOptions.Patience"/> checks passed without improvement.</summary>
    PatienceExhausted,

    /// <summary>The monitored value was NaN or infinite (<see cref="EarlyStoppingOptions.CheckFinite"/>).</summary>
    NonFiniteMetric,
}
