namespace Unified.Lightning;

/// <summary>
/// Options of <see cref="Tuner.ScaleBatchSize"/>, as the arguments of Lightning's <c>Tuner.scale_batch_size</c>, plus
/// the budget that stands in for the out-of-memory error on the CPU: a trial fails when it raises the process's
/// resident memory more than <see cref="MaxMemoryMb"/> above its level when the search started, or when its median
/// training step takes longer than <see cref="MaxStepSeconds"/>. On CUDA a real out-of-memory error fails the trial too.
/// Without a budget the search is bounded by the data set's size, <see cref="MaxVal"/> and <see cref="MaxTrials"/>.
/// </summary>
public sealed class BatchSizeScalingOptions
{
    /// <summary>Power (default) or binary search.</summary>
    public BatchSizeScalingMode Mode { get; set; } = BatchSizeScalingMode.Power;

    /// <summary>Training steps per trial (default 3).</summary>
    public int StepsPerTrial { get; set; } = 3;

    /// <summary>The first batch size tried (default 2).</summary>
    public int InitVal { get; set; } = 2;

    /// <summary>Successful trials at most (default 25).</summary>
    public int MaxTrials { get; set; } = 25;

    /// <summary>Fraction taken off the binary search's result as a safety margin (default 0.05; Lightning's <c>margin</c>).</summary>
    public double Margin { get; set; } = 0.05;

    /// <summary>The largest batch size tried (default 8192).</summary>
    public int MaxVal { get; set; } = 8192;

    /// <summary>Resident-memory growth a trial may cause, in MB; null: unbounded.</summary>
    public double? MaxMemoryMb { get; set; }

    /// <summary>Median seconds a trial's training step may take; null: unbounded.</summary>
    public double? MaxStepSeconds { get; set; }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Mode)) throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Mode must be Power or BinSearch.");
        if (StepsPerTrial < 1) throw new ArgumentOutOfRangeException(nameof(StepsPerTrial), StepsPerTrial, "StepsPerTrial must be at least 1 step.");
        if (InitVal < 1) throw new ArgumentOutOfRangeException(nameof(InitVal), InitVal, "InitVal must be a batch size of at least 1.");
        if (MaxTrials < 1) throw new ArgumentOutOfRangeException(nameof(MaxTrials), MaxTrials, "MaxTrials must be at least 1.");
        if (!(Margin >= 0 && Margin < 1)) throw new ArgumentOutOfRangeException(nameof(Margin), Margin, "Margin must be in [0, 1).");
        if (MaxVal < InitVal) throw new ArgumentOutOfRangeException(nameof(MaxVal), MaxVal, $"MaxVal must be at least InitVal ({InitVal}).");
        if (MaxMemoryMb is { } mb && !(mb > 0)) throw new ArgumentOutOfRangeException(nameof(MaxMemoryMb), mb, "MaxMemoryMb must be positive (or null).");
        if (MaxStepSeconds is { } s && !(s > 0)) throw new ArgumentOutOfRangeException(nameof(MaxStepSeconds), s, "MaxStepSeconds must be positive (or null).");
    }
}
