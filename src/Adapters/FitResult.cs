using Unified.Core.Training;

namespace Unified.Adapters;

/// <summary>What a <see cref="UnifiedTrainer"/> fit produced.</summary>
/// <param name="Framework">The front-end that ran.</param>
/// <param name="History">One entry per epoch, with the logged means.</param>
/// <param name="Steps">Optimiser steps taken.</param>
/// <param name="TrainSamples">Training samples processed.</param>
/// <param name="Seconds">Wall time of the whole fit, validation included.</param>
public sealed record FitResult(string Framework, IReadOnlyList<EpochResult> History, long Steps, long TrainSamples, double Seconds)
{
    /// <summary>The last epoch's logged means.</summary>
    public IReadOnlyDictionary<string, double> FinalMetrics => History.Count > 0 ? History[^1].Metrics : new Dictionary<string, double>();

    /// <summary>Training samples per second of wall time.</summary>
    public double SamplesPerSecond => Seconds > 0 ? TrainSamples / Seconds : 0;
}
