namespace Unified.Lightning;

/// <summary>How <see cref="Tuner.ScaleBatchSize"/> searches (Lightning's <c>mode</c>).</summary>
public enum BatchSizeScalingMode
{
    /// <summary>Double the batch size until a trial fails; keep the last that fitted (default).</summary>
    Power,

    /// <summary>Double until a trial fails, then bisect between the last success and the failure.</summary>
    BinSearch,
}
