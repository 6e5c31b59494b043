using System.Globalization;
using Unified.Core.Training;

namespace Unified.Lightning;

/// <summary>
/// Changes the number of micro-batches per optimiser step by epoch, as Lightning's
/// <c>GradientAccumulationScheduler</c> (callbacks/gradient_accumulation_scheduler.py): <c>{ [0] = 1, [4] = 2 }</c>
/// steps after every batch in epochs 0-3 and after every 2 batches from epoch 4 (epochs are 0-based; an epoch before
/// the first key accumulates 1). The factor reaches Core's step kernel at each epoch start, so an epoch whose batch count
/// does not divide still steps after its last batch. Use it with <see cref="TrainerOptions.AccumulateGradBatches"/> = 1.
/// </summary>
/// <example><code>options.Callbacks.Add(new GradientAccumulationScheduler(new Dictionary&lt;int, int&gt; { [4] = 2 }));</code></example>
public sealed class GradientAccumulationScheduler : Callback
{
    readonly SortedDictionary<int, int> scheduling;

    /// <summary>Creates the scheduler from <c>epoch → factor</c>.</summary>
    /// <exception cref="ArgumentException">The schedule is empty, an epoch is negative or a factor below 1.</exception>
    public GradientAccumulationScheduler(IReadOnlyDictionary<int, int> scheduling)
    {
        ArgumentNullException.ThrowIfNull(scheduling);
        if (scheduling.Count == 0)
            throw new ArgumentException("The accumulation schedule is empty; give at least one epoch → factor pair, e.g. { [4] = 2 }.", nameof(scheduling));
        if (scheduling.Keys.Any(epoch => epoch < 0))
            throw new ArgumentException($"Epochs of the accumulation schedule must be 0 or more (0-based). Got {string.Join(", ", scheduling.Keys)}.", nameof(scheduling));
        if (scheduling.Values.Any(factor => factor < 1))
            throw new ArgumentException($"Accumulation factors must be at least 1. Got {string.Join(", ", scheduling.Values)}.", nameof(scheduling));
        this.scheduling = new SortedDictionary<int, int>(scheduling.ToDictionary());
        this.scheduling.TryAdd(0, 1);
    }

    /// <summary>The factor for 0-based <paramref name="epoch"/> (Lightning's <c>get_accumulate_grad_batches</c>).</summary>
    public int AccumulateGradBatchesFor(int epoch) => scheduling.LastOrDefault(kv => kv.Key <= epoch, new(0, 1)).Value;

    /// <inheritdoc />
    public override void OnFitStart(TrainerView trainer, ITrainingModule module)
    {
        // gradient_accumulation_scheduler.py on_train_start: a manual module accumulates by itself.
        if (module is LightningModule { AutomaticOptimization: false })
            throw new InvalidOperationException($"A GradientAccumulationScheduler is not supported for manual optimization ({module.GetType().Name}.AutomaticOptimization is false); remove the callback or switch to automatic optimization.");
        if (trainer.AccumulateGradBatches != 1)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"TrainerOptions.AccumulateGradBatches is {trainer.AccumulateGradBatches} and a GradientAccumulationScheduler is set; remove one of them (Lightning refuses both)."));
    }

    /// <inheritdoc />
    // Also at train start: a fit resumed inside an epoch does not start it again.
    public override void OnTrainStart(TrainerView trainer, ITrainingModule module) => Apply(trainer);

    /// <inheritdoc />
    public override void OnTrainEpochStart(TrainerView trainer, ITrainingModule module) => Apply(trainer);

    void Apply(TrainerView trainer) => trainer.AccumulateGradBatches = AccumulateGradBatchesFor(trainer.CurrentEpoch);
}
