using TorchSharp;

namespace Unified.Core.Training;

/// <summary>What <see cref="ITrainingModule.ConfigureOptimizers"/> returns: an optimiser and an optional scheduler.</summary>
/// <example><code>return new OptimizerConfig(torch.optim.Adam(Network.parameters(), lr: 1e-3));</code></example>
public sealed record OptimizerConfig(
    torch.optim.Optimizer Optimizer,
    torch.optim.lr_scheduler.LRScheduler? Scheduler = null,
    SchedulerInterval Interval = SchedulerInterval.Epoch,
    int Frequency = 1)
{
    /// <summary>Throws when <see cref="Frequency"/> is not positive.</summary>
    public void Validate()
    {
        if (Frequency < 1) throw new ArgumentOutOfRangeException(nameof(Frequency), Frequency, "Scheduler frequency must be at least 1.");
    }
}
