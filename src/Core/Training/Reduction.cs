namespace Unified.Core.Training;

/// <summary>How a value logged several times in an epoch becomes the epoch's value (Lightning's <c>reduce_fx</c>).</summary>
public enum Reduction
{
    /// <summary>The batch-size-weighted mean (default).</summary>
    Mean,

    /// <summary>The sum.</summary>
    Sum,

    /// <summary>The largest value.</summary>
    Max,

    /// <summary>The smallest value.</summary>
    Min,
}
