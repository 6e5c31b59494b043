using TorchSharp.Modules;
using Unified.Core.State;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// Lowers the learning rate when a metric of <c>State.Metrics</c> stops improving, as Ignite's
/// <c>ReduceLROnPlateauScheduler</c> over PyTorch's <c>ReduceLROnPlateau</c> (relative or absolute threshold, patience,
/// cooldown, minimum rate). Attach it where the metric is computed (an evaluator's <c>Completed</c>). Stateful.
/// </summary>
/// <example><code>evaluator.On(Events.Completed, new ReduceLROnPlateauScheduler(optimizer, "val_loss", patience: 2).Handle);</code></example>
public sealed class ReduceLROnPlateauScheduler : IStateful
{
    const double Eps = 1e-8;
    readonly optim.Optimizer optimizer;
    readonly string metricName;
    readonly Mode mode;
    readonly double factor, threshold, minLr;
    readonly int patience, cooldown;
    readonly bool relative;
    double best;
    int badEpochs, cooldownLeft;

    /// <summary>Creates the scheduler.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="factor"/> not in (0, 1), or a negative patience, cooldown or threshold.</exception>
    public ReduceLROnPlateauScheduler(optim.Optimizer optimizer, string metricName, Mode mode = Mode.Min, double factor = 0.1, int patience = 10,
        double threshold = 1e-4, bool relativeThreshold = true, int cooldown = 0, double minLr = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metricName);
        if (!(factor > 0 && factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must lie strictly between 0 and 1.");
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "patience must be >= 0.");
        if (cooldown < 0) throw new ArgumentOutOfRangeException(nameof(cooldown), cooldown, "cooldown must be >= 0.");
        if (!(threshold >= 0)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be >= 0.");
        (this.optimizer, this.metricName, this.mode, this.factor, this.patience, this.threshold, relative, this.cooldown, this.minLr) =
            (optimizer ?? throw new ArgumentNullException(nameof(optimizer)), metricName, mode, factor, patience, threshold, relativeThreshold, cooldown, minLr);
        best = mode == Mode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>The handler to attach: reads the metric and steps the schedule.</summary>
    /// <exception cref="InvalidOperationException">The metric is NaN.</exception>
    public void Handle(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        double current = engine.State.Metric(metricName);
        if (double.IsNaN(current)) throw new InvalidOperationException($"ReduceLROnPlateauScheduler: metric '{metricName}' is NaN.");
        if (IsBetter(current)) (best, badEpochs) = (current, 0);
        else badEpochs++;
        if (cooldownLeft > 0) (cooldownLeft, badEpochs) = (cooldownLeft - 1, 0);
        if (badEpochs <= patience) return;
        foreach (var group in optimizer.ParamGroups.OfType<ParamGroup>())
        {
            double lower = Math.Max(group.LearningRate * factor, minLr);
            if (group.LearningRate - lower > Eps) group.LearningRate = lower;
        }
        (cooldownLeft, badEpochs) = (cooldown, 0);
    }

    // torch/optim/lr_scheduler.py ReduceLROnPlateau.is_better.
    bool IsBetter(double a) => (mode, relative) switch
    {
        (Mode.Min, true) => a < best * (1 - threshold),
        (Mode.Min, false) => a < best - threshold,
        (_, true) => a > best * (1 + threshold),
        _ => a > best + threshold,
    };

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        (state.Values["best"], state.Values["num_bad_epochs"], state.Values["cooldown_counter"]) = (best, badEpochs, cooldownLeft);
        state.Values["lrs"] = new System.Text.Json.Nodes.JsonArray([.. optimizer.ParamGroups.Select(g => (System.Text.Json.Nodes.JsonNode?)g.LearningRate)]);
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        (best, badEpochs, cooldownLeft) = (state.Value<double>("best"), state.Value<int>("num_bad_epochs"), state.Value<int>("cooldown_counter"));
        var lrs = state.Values["lrs"]!.AsArray();
        int i = 0;
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lrs[i++]!.GetValue<double>();
    }
}
