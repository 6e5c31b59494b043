namespace Unified.Lightning;

/// <summary>How <see cref="Tuner.LrFind"/> raises the learning rate after each step (Lightning's <c>mode</c>).</summary>
public enum LrFinderMode
{
    /// <summary>Geometric steps from the minimum to the maximum (default).</summary>
    Exponential,

    /// <summary>Equal steps from the minimum to the maximum.</summary>
    Linear,
}
