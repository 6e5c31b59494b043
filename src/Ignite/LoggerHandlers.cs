using System.Globalization;
using TorchSharp;
using Unified.Core.Logging;

namespace Unified.Ignite;

/// <summary>
/// Attaches experiment loggers to any engine, as Ignite's contrib loggers (<c>TensorboardLogger</c>,
/// <c>MLflowLogger</c>, ...) do with <c>attach_output_handler</c>, <c>attach_opt_params_handler</c> and
/// <c>WeightsHistHandler</c>. Handler calls go straight to the logger; wrap several loggers in an
/// <see cref="ExperimentLoggerCollection"/> to have a failing one reported as a warning instead of stopping the run.
/// </summary>
/// <example><code>
/// var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = "logs" });
/// tb.AttachRun(trainer, hyperparameters);
/// tb.AttachOutputHandler(trainer, Events.IterationCompleted.Every(100), new OutputHandler { Tag = "training", OutputTransform = OutputHandler.ScalarOutput("loss") });
/// tb.AttachOptimizerParamsHandler(trainer, Events.IterationStarted.Every(100), optimizer);
/// </code></example>
public static class LoggerHandlers
{
    /// <summary>At every <paramref name="evt"/>, logs the engine's chosen metrics and transformed output at the transformed global step.</summary>
    public static RemovableHandle AttachOutputHandler(this IExperimentLogger logger, Engine engine, Event evt, OutputHandler handler)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(handler);
        string prefix = string.IsNullOrEmpty(handler.Tag) ? "" : handler.Tag + "/";
        return engine.On(evt, e =>
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            // Loggers record numbers: non-scalar metrics (confusion matrices, per-class dictionaries) are left out.
            var scalars = e.State.ScalarMetrics();
            var metrics = handler.AllMetrics ? scalars.Keys.ToList() : handler.MetricNames;
            foreach (string name in metrics)
                if (scalars.TryGetValue(name, out double value)) values[prefix + name] = value;
            if (handler.OutputTransform is { } transform)
                foreach (var (name, value) in transform(e.State.Output)) values[prefix + name] = value;
            if (values.Count == 0) return;
            long step = handler.GlobalStepTransform?.Invoke(e, evt.Kind) ?? OutputHandler.DefaultStep(e, evt.Kind);
            logger.LogMetrics(values, step);
        });
    }

    /// <summary>
    /// At every <paramref name="evt"/>, logs <paramref name="paramName"/> (the learning rate by default) of every
    /// parameter group as <c>[tag/]lr/group_N</c> at the engine's iteration (Ignite's <c>OptimizerParamsHandler</c>).
    /// </summary>
    public static RemovableHandle AttachOptimizerParamsHandler(this IExperimentLogger logger, Engine engine, Event evt,
        torch.optim.Optimizer optimizer, string paramName = "lr", string? tag = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (paramName != "lr") throw new ArgumentException($"Only the learning rate ('lr') can be read from TorchSharp's parameter groups, not '{paramName}'.", nameof(paramName));
        string prefix = string.IsNullOrEmpty(tag) ? "" : tag + "/";
        return engine.On(evt, e =>
        {
            var values = optimizer.ParamGroups.Select((group, i) => (Key: $"{prefix}{paramName}/group_{i.ToString(CultureInfo.InvariantCulture)}", group.LearningRate))
                .ToDictionary(p => p.Key, p => p.LearningRate, StringComparer.Ordinal);
            logger.LogMetrics(values, e.State.Iteration);
        });
    }

    /// <summary>At every <paramref name="evt"/>, logs a histogram of every parameter of <paramref name="model"/> as <c>[tag/]weights/&lt;name&gt;</c> (Ignite's <c>WeightsHistHandler</c>).</summary>
    public static RemovableHandle AttachWeightsHistogramHandler(this IExperimentLogger logger, Engine engine, Event evt,
        torch.nn.Module model, string? tag = null, int bins = 64)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(model);
        string prefix = string.IsNullOrEmpty(tag) ? "" : tag + "/";
        return engine.On(evt, e =>
        {
            long step = OutputHandler.DefaultStep(e, evt.Kind);
            foreach (var (name, parameter) in model.named_parameters())
                logger.LogHistogram($"{prefix}weights/{name}", HistogramValues.FromTensor(parameter, bins), step);
        });
    }

    /// <summary>
    /// Ties the logger to a run of <paramref name="engine"/>: hyper-parameters when it starts, a flush after every
    /// epoch, and <see cref="IExperimentLogger.Finish"/> with the run's status when it ends (success, failure or
    /// cancellation; also when an <c>ExceptionRaised</c> handler handled the failure).
    /// </summary>
    public static RemovableHandle AttachRun(this IExperimentLogger logger, Engine engine, IReadOnlyDictionary<string, object?>? hyperparameters = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(engine);
        bool attached = true;
        var started = engine.On(Events.Started, _ =>
        {
            if (hyperparameters is { Count: > 0 }) logger.LogHyperparameters(hyperparameters);
        });
        var flush = engine.On(Events.EpochCompleted, _ => logger.Flush());
        engine.OnRunEnd(failure =>
        {
            if (!attached) return;
            attached = false;
            logger.Finish(failure switch { null => RunStatus.Success, OperationCanceledException => RunStatus.Cancelled, _ => RunStatus.Failed });
        });
        return new RemovableHandle(() =>
        {
            attached = false;
            started.Remove();
            flush.Remove();
        });
    }
}
