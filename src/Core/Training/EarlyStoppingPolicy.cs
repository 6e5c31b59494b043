namespace Unified.Core.Training;

/// <summary>
/// When to stop a fit that no longer improves, declared once for both front-ends: the Lightning front-end realises it
/// as its <c>EarlyStopping</c> callback, the Ignite front-end as its <c>EarlyStopping</c> handler (same patience and
/// delta rule: an improvement must beat the best score by more than <see cref="MinDelta"/>).
/// </summary>
/// <example><code>new EarlyStoppingPolicy { Monitor = "val_loss", Mode = Mode.Min, Patience = 3 }</code></example>
public sealed record EarlyStoppingPolicy
{
    /// <summary>The logged metric to watch, e.g. <c>val_loss</c>.</summary>
    public string Monitor { get; init; } = "val_loss";

    /// <summary>Whether lower (default) or higher is better.</summary>
    public Mode Mode { get; init; } = Mode.Min;

    /// <summary>Checks (epochs) without improvement that stop the fit (default 3).</summary>
    public int Patience { get; init; } = 3;

    /// <summary>The least change that counts as an improvement (default 0).</summary>
    public double MinDelta { get; init; }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Monitor)) throw new ArgumentException("EarlyStopping.Monitor must name a logged metric, e.g. \"val_loss\".", nameof(Monitor));
        if (Patience < 1) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "EarlyStopping.Patience must be a positive number of checks.");
        if (!(MinDelta >= 0) || double.IsInfinity(MinDelta)) throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, "EarlyStopping.MinDelta must be a finite number >= 0.");
        if (!Enum.IsDefined(Mode)) throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "EarlyStopping.Mode must be Min or Max.");
    }
}
