namespace Unified.Core.Training;

/// <summary>
/// How a logged value is recorded, as the arguments of Lightning's <c>self.log</c>: per step (the latest value), per
/// epoch (reduced over the epoch), or both (then named <c>NAME_step</c> and <c>NAME_epoch</c> as well).
/// </summary>
public sealed record LogOptions
{
    /// <summary>Keep the latest value, read after each training batch (Lightning's <c>on_step</c>).</summary>
    public bool OnStep { get; init; }

    /// <summary>Reduce the values over the epoch (Lightning's <c>on_epoch</c>, the default here).</summary>
    public bool OnEpoch { get; init; } = true;

    /// <summary>Show the value on the progress bar (Lightning's <c>prog_bar</c>).</summary>
    public bool ProgressBar { get; init; }

    /// <summary>Send the value to the experiment loggers (Lightning's <c>logger</c>, default true).</summary>
    public bool Logger { get; init; } = true;

    /// <summary>How the epoch's values are combined (Lightning's <c>reduce_fx</c>).</summary>
    public Reduction Reduce { get; init; } = Reduction.Mean;

    /// <summary>
    /// Reduce the epoch value over the ranks of a data-parallel fit with <see cref="Reduce"/> (Lightning's
    /// <c>sync_dist</c>); otherwise each rank keeps its own.
    /// </summary>
    public bool SyncDist { get; init; }

    /// <summary>Whether the value is recorded both per step and per epoch, under suffixed names.</summary>
    public bool Forked => OnStep && OnEpoch;

    /// <summary>Throws when nothing would be recorded.</summary>
    public void Validate(string name)
    {
        if (!OnStep && !OnEpoch)
            throw new ArgumentException($"Logged value '{name}' has OnStep and OnEpoch both false, so it would not be recorded; set at least one.", nameof(OnEpoch));
    }
}
