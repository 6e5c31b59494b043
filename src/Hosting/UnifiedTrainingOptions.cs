using Unified.Adapters;

namespace Unified.Hosting;

/// <summary>
/// Training as a host app configures it, bound from configuration (e.g. the <c>Unified</c> section of
/// <c>appsettings.json</c>) and validated when the host starts.
/// </summary>
/// <example><code>
/// { "Unified": { "Framework": "ignite", "Trainer": { "MaxEpochs": 3, "Accelerator": "cpu", "CheckpointDir": "runs/ckpt" } } }
/// </code></example>
public sealed class UnifiedTrainingOptions
{
    /// <summary>The configuration section read by <c>AddUnifiedTraining(configuration)</c>.</summary>
    public const string SectionName = "Unified";

    /// <summary>The front-end <see cref="IUnifiedTrainerFactory.Create"/> uses when none is named: <c>lightning</c> (default) or <c>ignite</c>.</summary>
    public string Framework { get; set; } = Frameworks.Lightning;

    /// <summary>The trainer's options; every trainer the factory creates gets its own copy.</summary>
    public UnifiedTrainerOptions Trainer { get; set; } = new();
}
