using System.Globalization;
using Unified.Core.State;
using Unified.Core.Training;

namespace Unified.Lightning;

/// <summary>
/// Stops a fit when a monitored metric stops improving, as Lightning's <c>EarlyStopping</c> (callbacks/early_stopping.py):
/// after <see cref="EarlyStoppingOptions.Patience"/> checks without an improvement of more than
/// <see cref="EarlyStoppingOptions.MinDelta"/>, when a threshold is crossed, or when the value is not finite. It sets
/// <see cref="TrainerView.ShouldStop"/>; the fit then ends as a success. Its counters are saved in checkpoints.
/// </summary>
/// <example><code>options.Callbacks.Add(new EarlyStopping(new() { Monitor = "val_loss", Patience = 3 }));</code></example>
public sealed class EarlyStopping : Callback, IStateful
{
    readonly EarlyStoppingOptions options;
    bool checkOnTrainEpochEnd;

    /// <summary>Creates the callback; options are validated here.</summary>
    public EarlyStopping(EarlyStoppingOptions options)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        BestScore = options.Mode == Mode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>Checks in a row without improvement.</summary>
    public int WaitCount { get; private set; }

    /// <summary>The epoch at which it stopped the fit (0 while it has not).</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>The best monitored value so far.</summary>
    public double BestScore { get; private set; }

    /// <summary>Why it stopped the fit.</summary>
    public EarlyStoppingReason StoppingReason { get; private set; }

    /// <summary>The reason in words, or null while it has not stopped the fit.</summary>
    public string? StoppingReasonMessage { get; private set; }

    /// <inheritdoc />
    public override string StateKey => $"{nameof(EarlyStopping)}_{options.Monitor}_{options.Mode}";

    internal override bool Monitors => true;

    /// <inheritdoc />
    public override void Setup(TrainerView trainer, ITrainingModule module, TrainerStage stage) =>
        // Validation runs once per training epoch here, so Lightning's default is to check at the epoch's end.
        checkOnTrainEpochEnd = options.CheckOnTrainEpochEnd ?? true;

    /// <inheritdoc />
    public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module)
    {
        if (checkOnTrainEpochEnd && !SkipCheck(trainer)) Check(trainer);
    }

    /// <inheritdoc />
    public override void OnValidationEnd(TrainerView trainer, ITrainingModule module)
    {
        if (!checkOnTrainEpochEnd && !SkipCheck(trainer)) Check(trainer);
    }

    // Lightning's _should_skip_check: also under fast_dev_run.
    static bool SkipCheck(TrainerView trainer) => trainer.Stage != TrainerStage.Fit || trainer.SanityChecking || trainer.FastDevRun;

    void Check(TrainerView trainer)
    {
        if (!trainer.CallbackMetrics.TryGetValue(options.Monitor, out double current))
        {
            if (!options.Strict) return;
            throw new InvalidOperationException($"Early stopping conditioned on metric '{options.Monitor}' which is not available. " +
                $"Pass in or modify your EarlyStopping callback to use any of the following: {string.Join(", ", trainer.CallbackMetrics.Keys)}.");
        }
        // Every rank sees the same reduced metrics, so every rank decides the same.
        var (stop, reason) = Evaluate(current);
        trainer.ShouldStop |= stop;
        if (stop) (StoppedEpoch, StoppingReasonMessage) = (trainer.CurrentEpoch, reason);
    }

    bool Better(double a, double b) => options.Mode == Mode.Min ? a < b : a > b;

    (bool, string?) Evaluate(double current)
    {
        var c = CultureInfo.InvariantCulture;
        string order = options.Mode == Mode.Min ? "<" : ">";
        if (options.CheckFinite && !double.IsFinite(current))
            return Stopped(EarlyStoppingReason.NonFiniteMetric, string.Create(c, $"Monitored metric {options.Monitor} = {current} is not finite. Previous best value was {BestScore:F3}. Signaling Trainer to stop."));
        if (options.StoppingThreshold is double stopping && Better(current, stopping))
            return Stopped(EarlyStoppingReason.StoppingThreshold, string.Create(c, $"Stopping threshold reached: {options.Monitor} = {current} {order} {stopping}. Signaling Trainer to stop."));
        if (options.DivergenceThreshold is double divergence && Better(-current, -divergence))
            return Stopped(EarlyStoppingReason.DivergenceThreshold, string.Create(c, $"Divergence threshold reached: {options.Monitor} = {current} {order} {divergence}. Signaling Trainer to stop."));
        // Lightning signs min_delta by the mode: an improvement must beat the best by more than |MinDelta|.
        double delta = options.Mode == Mode.Max ? Math.Abs(options.MinDelta) : -Math.Abs(options.MinDelta);
        if (Better(current - delta, BestScore))
        {
            (BestScore, WaitCount) = (current, 0);
            return (false, null);
        }
        if (++WaitCount >= options.Patience)
            return Stopped(EarlyStoppingReason.PatienceExhausted, string.Create(c, $"Monitored metric {options.Monitor} did not improve in the last {WaitCount} records. Best score: {BestScore:F3}. Signaling Trainer to stop."));
        return (false, null);
    }

    (bool, string?) Stopped(EarlyStoppingReason reason, string message)
    {
        StoppingReason = reason;
        return (true, message);
    }

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["wait_count"] = WaitCount;
        state.Values["stopped_epoch"] = StoppedEpoch;
        state.Values["best_score"] = double.IsFinite(BestScore) ? BestScore : null;
        state.Values["stopping_reason"] = StoppingReason.ToString();
        state.Values["stopping_reason_message"] = StoppingReasonMessage;
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        WaitCount = state.Value<int>("wait_count");
        StoppedEpoch = state.Value<int>("stopped_epoch");
        BestScore = state.Values.TryGetValue("best_score", out var best) && best is not null ? best.GetValue<double>()
            : options.Mode == Mode.Min ? double.PositiveInfinity : double.NegativeInfinity;
        StoppingReason = Enum.Parse<EarlyStoppingReason>(state.Value<string>("stopping_reason"));
        StoppingReasonMessage = state.Values.TryGetValue("stopping_reason_message", out var message) ? message?.GetValue<string>() : null;
    }
}
