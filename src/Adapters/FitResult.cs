using Unified.Core.Training;

namespace Unified.Adapters;

/// <summary>What a <see cref="UnifiedTrainer"/> fit produced.</summary>
/// <param name="Framework">The front-end that ran.</param>
/// <param name="History">One entry per epoch, with the logged means.</param>
/// <param name="Steps">Optimiser steps taken.</param>
/// <param name="TrainSamples">Training samples processed.</param>
/// <param name="Seconds">Wall time of the whole fit, validation included.</param>
/// <param name="WorldSize">Processes that trained together (1 without data parallelism); <paramref name="TrainSamples"/> counts all of theirs.</param>
/// <param name="IsGlobalZero">Whether this process is rank 0, the one that prints and writes files.</param>
public sealed record FitResult(string Framework, IReadOnlyList<EpochResult> History, long Steps, long TrainSamples, double Seconds,
    int WorldSize = 1, bool IsGlobalZero = true)
{
    /// <summary>The last epoch's logged means.</summary>
    public IReadOnlyDictionary<string, double> FinalMetrics => History.Count > 0 ? History[^1].Metrics : new Dictionary<string, double>();

    /// <summary>Training samples per second of wall time.</summary>
    public double SamplesPerSecond => Seconds > 0 ? TrainSamples / Seconds : 0;
}
