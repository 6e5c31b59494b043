namespace Unified.Core.State;

/// <summary>
/// Where a training loop stands, saved with every checkpoint: the epoch in progress, how many of its batches are done,
/// and optimiser steps taken. A resume continues with batch <see cref="BatchesDone"/> of <see cref="Epoch"/>.
/// </summary>
public sealed class LoopProgress : IStateful
{
    /// <summary>The 0-based epoch in progress (or the next one when <see cref="BatchesDone"/> is 0).</summary>
    public int Epoch { get; set; }

    /// <summary>Training batches of <see cref="Epoch"/> already run.</summary>
    public int BatchesDone { get; set; }

    /// <summary>Optimiser steps taken so far.</summary>
    public long GlobalStep { get; set; }

    /// <summary>
    /// Training batches whose step stepped an optimiser: the step loggers see (Lightning's <c>_batches_that_stepped</c>),
    /// <see cref="GlobalStep"/> unless a manual step steps several optimisers. Saved only where it differs.
    /// </summary>
    public long BatchesThatStepped { get; set; }

    /// <summary>The last finished epoch's logged means, so that a fit resumed after its last epoch can still report them.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; set; } = new Dictionary<string, double>();

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["epoch"] = Epoch;
        state.Values["batches_done"] = BatchesDone;
        state.Values["global_step"] = GlobalStep;
        if (BatchesThatStepped != GlobalStep) state.Values["batches_that_stepped"] = BatchesThatStepped;
        foreach (var (name, value) in Metrics) state.Values[$"metrics.{name}"] = double.IsFinite(value) ? value : null;
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        int epoch = state.Value<int>("epoch"), batches = state.Value<int>("batches_done");
        long step = state.Value<long>("global_step");
        if (epoch < 0 || batches < 0 || step < 0)
            throw new InvalidDataException($"Loop progress (epoch {epoch}, batches done {batches}, global step {step}) must not be negative.");
        (Epoch, BatchesDone, GlobalStep) = (epoch, batches, step);
        BatchesThatStepped = state.Values.ContainsKey("batches_that_stepped") ? state.Value<long>("batches_that_stepped") : step;
        Metrics = state.Values.Where(kv => kv.Key.StartsWith("metrics.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["metrics.".Length..], kv => kv.Value?.GetValue<double>() ?? double.NaN, StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public override string ToString() => $"epoch {Epoch}, batch {BatchesDone}, step {GlobalStep}";
}
