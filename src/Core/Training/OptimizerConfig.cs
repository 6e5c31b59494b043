using TorchSharp;

namespace Unified.Core.Training;

/// <summary>
/// What <see cref="ITrainingModule.ConfigureOptimizers"/> returns: an optimiser and an optional scheduler with
/// Lightning's <c>lr_scheduler</c> config keys (<c>interval</c>, <c>frequency</c>, <c>monitor</c>, <c>strict</c>), or
/// several of them made with <see cref="Many"/> (Lightning's list of optimizer dicts, the GAN pattern), which only
/// manual optimisation can step.
/// </summary>
/// <example><code>
/// return new OptimizerConfig(optimizer, optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience: 2)) { Monitor = "val_loss" };
/// return OptimizerConfig.Many(new(optim.Adam(generator.parameters())), new(optim.Adam(discriminator.parameters())));
/// </code></example>
public sealed record OptimizerConfig(
    torch.optim.Optimizer Optimizer,
    torch.optim.lr_scheduler.LRScheduler? Scheduler = null,
    SchedulerInterval Interval = SchedulerInterval.Epoch,
    int Frequency = 1)
{
    /// <summary>
    /// The logged metric a <c>ReduceLROnPlateau</c> scheduler steps on, read after validation (Lightning's
    /// <c>"monitor"</c>); required for such a scheduler, ignored by the others.
    /// </summary>
    public string? Monitor { get; init; }

    /// <summary>Whether a <see cref="Monitor"/> that was not logged is an error (default) or skips the step (Lightning's <c>"strict"</c>).</summary>
    public bool Strict { get; init; } = true;

    IReadOnlyList<OptimizerConfig>? many;

    /// <summary>
    /// Several optimisers (each with its optional scheduler), in the order the module steps and the checkpoint stores
    /// them (Lightning's <c>[{"optimizer": ..., "lr_scheduler": ...}, ...]</c>). The result reads as the first config
    /// (its <see cref="Optimizer"/>, <see cref="Scheduler"/>, ...) and lists every one in <see cref="All"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No config, a null one, one made by <see cref="Many"/>, or an optimiser given twice.</exception>
    public static OptimizerConfig Many(params OptimizerConfig[] configs)
    {
        ArgumentNullException.ThrowIfNull(configs);
        if (configs.Length == 0) throw new ArgumentException("OptimizerConfig.Many needs at least one config.", nameof(configs));
        for (int i = 0; i < configs.Length; i++)
        {
            if (configs[i] is null) throw new ArgumentException($"OptimizerConfig.Many got null at index {i}.", nameof(configs));
            if (configs[i].many is not null) throw new ArgumentException($"OptimizerConfig.Many got a config made by OptimizerConfig.Many at index {i}; pass the single configs.", nameof(configs));
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(configs[i].Optimizer, configs[j].Optimizer))
                    throw new ArgumentException($"OptimizerConfig.Many got the same optimizer at indices {j} and {i}; give each optimizer once.", nameof(configs));
        }
        return configs.Length == 1 ? configs[0] : configs[0] with { many = [.. configs] };
    }

    /// <summary>Every config in stepping order: this one alone, or those given to <see cref="Many"/>.</summary>
    public IReadOnlyList<OptimizerConfig> All => many ?? [this];

    /// <summary>Whether the scheduler is a <c>ReduceLROnPlateau</c>, which steps on <see cref="Monitor"/>'s value after validation.</summary>
    public bool ReducesOnPlateau => Scheduler is torch.optim.lr_scheduler.impl.ReduceLROnPlateau;

    /// <summary>Throws when <see cref="Frequency"/> is not positive, or a plateau scheduler has no <see cref="Monitor"/>.</summary>
    public void Validate()
    {
        if (many is not null)
        {
            foreach (var config in many) config.Validate();
            return;
        }
        if (Frequency < 1) throw new ArgumentOutOfRangeException(nameof(Frequency), Frequency, "Scheduler frequency must be at least 1.");
        // Lightning: "The lr scheduler dict must include a monitor when a `ReduceLROnPlateau` scheduler is used."
        if (ReducesOnPlateau && string.IsNullOrWhiteSpace(Monitor))
            throw new ArgumentException("A ReduceLROnPlateau scheduler needs the metric it watches: set OptimizerConfig.Monitor, e.g. new OptimizerConfig(optimizer, plateau) { Monitor = \"val_loss\" }.", nameof(Monitor));
    }

    /// <summary>
    /// Steps a plateau scheduler of <paramref name="interval"/> on <see cref="Monitor"/>'s value in
    /// <paramref name="metrics"/> when <paramref name="index"/> (the 0-based epoch, or batch for step intervals) + 1 is a
    /// multiple of <see cref="Frequency"/> (Lightning's <c>_update_learning_rates</c>). Returns whether it stepped.
    /// </summary>
    /// <exception cref="InvalidOperationException">The monitor was not logged and <see cref="Strict"/> is on; the message lists what was.</exception>
    public bool StepOnPlateau(SchedulerInterval interval, int index, IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (!ReducesOnPlateau || Interval != interval || (index + 1) % Frequency != 0) return false;
        if (!metrics.TryGetValue(Monitor!, out double value))
        {
            if (!Strict) return false;
            throw new InvalidOperationException($"ReduceLROnPlateau monitors '{Monitor}', which was not logged. Logged: "
                + $"{(metrics.Count == 0 ? "(nothing)" : string.Join(", ", metrics.Keys))}. Log it (e.g. Log(\"{Monitor}\", ...)) or fix OptimizerConfig.Monitor.");
        }
        Scheduler!.step(value);
        return true;
    }
}
