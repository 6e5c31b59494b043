using Unified.Core.Training;

namespace Unified.Lightning;

/// <summary>Options of <see cref="EarlyStopping"/>, as the arguments of Lightning's <c>EarlyStopping(...)</c>, with its defaults.</summary>
public sealed class EarlyStoppingOptions
{
    /// <summary>The logged metric to watch, e.g. <c>val_loss</c> (required).</summary>
    public string Monitor { get; set; } = "";

    /// <summary>The least change that counts as an improvement (default 0).</summary>
    public double MinDelta { get; set; }

    /// <summary>Checks without improvement before stopping (default 3).</summary>
    public int Patience { get; set; } = 3;

    /// <summary>Whether lower (<see cref="Mode.Min"/>, default) or higher values are better.</summary>
    public Mode Mode { get; set; } = Mode.Min;

    /// <summary>Fail when the monitor was not logged (default true); false skips the check instead.</summary>
    public bool Strict { get; set; } = true;

    /// <summary>Stop when the monitored value is NaN or infinite (default true).</summary>
    public bool CheckFinite { get; set; } = true;

    /// <summary>Stop as soon as the value is better than this; null: no threshold.</summary>
    public double? StoppingThreshold { get; set; }

    /// <summary>Stop as soon as the value is worse than this; null: no threshold.</summary>
    public double? DivergenceThreshold { get; set; }

    /// <summary>
    /// Check at the end of the training epoch (after the module's <c>OnTrainEpochEnd</c>) instead of at the end of
    /// validation; null (default) chooses the epoch end when validation runs once per epoch, as Lightning.
    /// </summary>
    public bool? CheckOnTrainEpochEnd { get; set; }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Monitor)) throw new ArgumentException("Monitor must name a logged metric, e.g. \"val_loss\".", nameof(Monitor));
        if (Patience < 0) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience must be 0 or more checks.");
        if (!double.IsFinite(MinDelta)) throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, "MinDelta must be a finite number.");
        if (!Enum.IsDefined(Mode)) throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Mode must be Min or Max.");
    }
}
