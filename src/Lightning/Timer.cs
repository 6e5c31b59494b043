using System.Diagnostics;
using Unified.Core.Data;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Stops the fit once <c>duration</c> has passed since it started, as Lightning's <c>Timer</c> callback
/// (<c>Trainer(max_time=...)</c>, callbacks/timer.py): checked after every optimiser step (interval "step"), so the
/// epoch's end still runs and <see cref="ModelCheckpoint"/> leaves a resumable checkpoint.
/// </summary>
/// <example><code>options.Callbacks.Add(new Timer(TimeSpan.FromHours(1)));</code></example>
public sealed class Timer : Callback
{
    long start;
    long checkedStep = -1;

    /// <summary>Creates the callback.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is not positive.</exception>
    public Timer(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), duration, "The time limit must be positive.");
        Duration = duration;
    }

    /// <summary>The limit.</summary>
    public TimeSpan Duration { get; }

    /// <inheritdoc />
    public override void OnTrainStart(TrainerView trainer, ITrainingModule module) => (start, checkedStep) = (Stopwatch.GetTimestamp(), trainer.GlobalStep);

    /// <inheritdoc />
    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex)
    {
        // Only when an optimiser step happened, so that a stop leaves no half-accumulated gradients behind.
        if (trainer.GlobalStep == checkedStep) return;
        checkedStep = trainer.GlobalStep;
        if (Stopwatch.GetElapsedTime(start) > Duration) trainer.ShouldStop = true;
    }
}
