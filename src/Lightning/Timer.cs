using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Unified.Core.Data;
using Unified.Core.State;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Tracks the time spent training, validating, testing and predicting, and stops the fit (as a success, through
/// <see cref="TrainerView.ShouldStop"/>) once its training time reaches <see cref="Duration"/>, as Lightning's
/// <c>Timer</c> (callbacks/timer.py). Training time is saved in checkpoints: a resumed fit counts on from it.
/// </summary>
/// <example><code>options.Callbacks.Add(new Timer("00:12:00:00")); // stop after 12 hours of training</code></example>
public sealed partial class Timer : Callback, IStateful
{
    readonly Dictionary<TrainerStage, long> start = [], end = [];
    double offset;

    /// <summary>A timer that stops the fit after <paramref name="duration"/> (null: only measures) of training, checked at every <paramref name="interval"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The duration is negative or the interval unknown.</exception>
    public Timer(TimeSpan? duration = null, TimerInterval interval = TimerInterval.Step)
    {
        if (duration is { } d && d < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(duration), d, "Timer duration must be zero or positive (e.g. TimeSpan.FromHours(12)).");
        if (!Enum.IsDefined(interval))
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "Timer interval must be TimerInterval.Step or TimerInterval.Epoch.");
        (Duration, Interval) = (duration, interval);
    }

    /// <summary>A timer whose duration is written <c>DD:HH:MM:SS</c> (days, hours, minutes, seconds), as Lightning's <c>Timer(duration="00:12:00:00")</c>.</summary>
    /// <exception cref="ArgumentException">The text is not <c>DD:HH:MM:SS</c>.</exception>
    public Timer(string duration, TimerInterval interval = TimerInterval.Step) : this(Parse(duration), interval) { }

    /// <summary>Training time after which the fit stops; null never stops it.</summary>
    public TimeSpan? Duration { get; }

    /// <summary>When the duration is checked.</summary>
    public TimerInterval Interval { get; }

    /// <summary>
    /// Seconds spent in <paramref name="stage"/>'s loop (Lightning's <c>time_elapsed</c>): <see cref="TrainerStage.Fit"/>
    /// is training (plus a resumed fit's saved time), <see cref="TrainerStage.Validate"/> the last validation run (a
    /// fit's included); 0 before it started, growing while it runs.
    /// </summary>
    public double TimeElapsed(TrainerStage stage = TrainerStage.Fit)
    {
        double extra = stage == TrainerStage.Fit ? offset : 0;
        if (!start.TryGetValue(stage, out long from)) return extra;
        long to = end.TryGetValue(stage, out long stop) ? stop : Stopwatch.GetTimestamp();
        return Stopwatch.GetElapsedTime(from, to).TotalSeconds + extra;
    }

    /// <summary>Seconds of training left before the fit stops, or null without a duration (Lightning's <c>time_remaining</c>).</summary>
    public double? TimeRemaining(TrainerStage stage = TrainerStage.Fit) => Duration is { } d ? d.TotalSeconds - TimeElapsed(stage) : null;

    /// <inheritdoc />
    public override void OnFitStart(TrainerView trainer, ITrainingModule module) => Check(trainer);

    /// <inheritdoc />
    public override void OnTrainStart(TrainerView trainer, ITrainingModule module) => Begin(TrainerStage.Fit);

    /// <inheritdoc />
    public override void OnTrainEnd(TrainerView trainer, ITrainingModule module) => Finish(TrainerStage.Fit);

    /// <inheritdoc />
    public override void OnValidationStart(TrainerView trainer, ITrainingModule module) => Begin(TrainerStage.Validate);

    /// <inheritdoc />
    public override void OnValidationEnd(TrainerView trainer, ITrainingModule module) => Finish(TrainerStage.Validate);

    /// <inheritdoc />
    public override void OnTestStart(TrainerView trainer, ITrainingModule module) => Begin(TrainerStage.Test);

    /// <inheritdoc />
    public override void OnTestEnd(TrainerView trainer, ITrainingModule module) => Finish(TrainerStage.Test);

    /// <inheritdoc />
    public override void OnPredictStart(TrainerView trainer, ITrainingModule module) => Begin(TrainerStage.Predict);

    /// <inheritdoc />
    public override void OnPredictEnd(TrainerView trainer, ITrainingModule module) => Finish(TrainerStage.Predict);

    /// <inheritdoc />
    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex)
    {
        if (Interval == TimerInterval.Step) Check(trainer);
    }

    /// <inheritdoc />
    public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module)
    {
        if (Interval == TimerInterval.Epoch) Check(trainer);
    }

    void Begin(TrainerStage stage)
    {
        start[stage] = Stopwatch.GetTimestamp();
        end.Remove(stage);
    }

    void Finish(TrainerStage stage) => end[stage] = Stopwatch.GetTimestamp();

    // Each rank decides on its own clock (Lightning broadcasts rank 0's decision).
    void Check(TrainerView trainer)
    {
        if (Duration is { } d && TimeElapsed() >= d.TotalSeconds) trainer.ShouldStop = true;
    }

    static TimeSpan Parse(string duration)
    {
        ArgumentNullException.ThrowIfNull(duration);
        var match = DurationPattern().Match(duration.Trim());
        if (!match.Success)
            throw new ArgumentException($"Timer(duration: \"{duration}\") is not a valid duration. Expected a string in the format DD:HH:MM:SS.", nameof(duration));
        int Part(int i) => int.Parse(match.Groups[i].Value, CultureInfo.InvariantCulture);
        return new TimeSpan(Part(1), Part(2), Part(3), Part(4));
    }

    [GeneratedRegex(@"^(\d+):(\d\d):(\d\d):(\d\d)$")]
    private static partial Regex DurationPattern();

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        foreach (var stage in Enum.GetValues<TrainerStage>()) state.Values["time_elapsed." + stage.ToString().ToLowerInvariant()] = TimeElapsed(stage);
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state) =>
        offset = state.Values.ContainsKey("time_elapsed.fit") ? state.Value<double>("time_elapsed.fit") : 0;
}
