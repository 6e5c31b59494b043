using System.Diagnostics;
using System.Globalization;
using Unified.Core.Data;
using Unified.Core.Diagnostics;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>Measures a batch-size trial's steps (seconds and resident memory) and stops it when it leaves the budget.</summary>
internal sealed class BatchSizeTrialCallback(double baselineRssMb, double? maxMemoryMb, double? maxStepSeconds) : Callback
{
    long started;

    public List<double> StepSeconds { get; } = [];

    public double PeakGrowthMb { get; private set; }

    public override void OnTrainBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => started = Stopwatch.GetTimestamp();

    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex)
    {
        StepSeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
        PeakGrowthMb = Math.Max(PeakGrowthMb, ProcessMemory.CurrentRssMb() - baselineRssMb);
        if (OverBudget is not null) trainer.ShouldStop = true;
    }

    public double MedianStepSeconds => StepSeconds.Count == 0 ? double.NaN : StepSeconds.Order().ElementAt(StepSeconds.Count / 2);

    public string? OverBudget =>
        maxMemoryMb is double mb && PeakGrowthMb > mb ? string.Create(CultureInfo.InvariantCulture, $"resident memory grew {PeakGrowthMb:F1} MB, over the budget of {mb} MB")
        : maxStepSeconds is double s && MedianStepSeconds > s ? string.Create(CultureInfo.InvariantCulture, $"median step took {MedianStepSeconds:F4} s, over the budget of {s} s")
        : null;
}
