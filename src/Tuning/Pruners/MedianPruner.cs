namespace Unified.Tuning.Pruners;

/// <summary>
/// Prunes a trial whose best intermediate value is worse than the median of the complete trials at the same step
/// (Optuna's <c>MedianPruner</c>: the 50th <see cref="PercentilePruner"/>, 5 start-up trials, no warm-up).
/// </summary>
public sealed class MedianPruner(int startupTrials = 5, int warmupSteps = 0, int intervalSteps = 1, int minTrials = 1)
    : PercentilePruner(50, startupTrials, warmupSteps, intervalSteps, minTrials);
