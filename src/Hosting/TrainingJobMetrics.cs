using System.Diagnostics.Metrics;
using Unified.Core.Telemetry;

namespace Unified.Hosting;

/// <summary>
/// The hosted job's progress as instruments on a meter made by the container's <see cref="IMeterFactory"/> (named
/// <see cref="TrainingTelemetry.Name"/>, so one <c>AddMeter</c> exports them with Core's step instruments):
/// <c>unified.job.batches</c> and <c>unified.job.epoch</c>.
/// </summary>
internal sealed class TrainingJobMetrics
{
    public TrainingJobMetrics(IMeterFactory meters, ITrainingJobStatus status)
    {
        Meter = meters.Create(TrainingTelemetry.Name);
        Meter.CreateObservableCounter("unified.job.batches", () => status.Batches, "{batch}", "Training batches the hosted job ran.");
        Meter.CreateObservableGauge("unified.job.epoch", () => status.Epoch, null, "The hosted job's current 0-based epoch.");
    }

    public Meter Meter { get; }
}
