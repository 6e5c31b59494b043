using Unified.Core.Distributed;
using Unified.Core.Metrics;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>Attaches Core metrics to an engine, as Ignite's <c>metric.attach(engine, name)</c>.</summary>
public static class MetricAttachment
{
    /// <summary>
    /// Resets <paramref name="metric"/> when its span starts, updates it after every iteration from the engine's
    /// output (by default an <see cref="EvaluationOutput"/>), and writes <c>State.Metrics[name]</c> when the span ends;
    /// with several ranks in <paramref name="processGroup"/> the state is synced over them first (collective), so the
    /// value covers every rank's share of the data.
    /// </summary>
    /// <example><code>new Accuracy().Attach(evaluator, "accuracy");</code></example>
    public static RemovableHandle Attach(this Metric metric, Engine engine, string name,
        Func<object?, (Tensor Prediction, Tensor Target)>? outputTransform = null, MetricUsage usage = MetricUsage.Epoch,
        IProcessGroup? processGroup = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        outputTransform ??= DefaultTransform;
        var (start, end) = usage == MetricUsage.Epoch ? (Events.EpochStarted, Events.EpochCompleted) : (Events.Started, Events.Completed);
        var handles = new[]
        {
            engine.On(start, _ => metric.Reset()),
            engine.On(Events.IterationCompleted, e =>
            {
                var (prediction, target) = outputTransform(e.State.Output);
                metric.Update(prediction, target);
            }),
            engine.On(end, e =>
            {
                if (processGroup is { WorldSize: > 1 }) metric.Sync(processGroup);
                e.State.Metrics[name] = metric.Compute();
            }),
        };
        return new RemovableHandle(() => Array.ForEach(handles, h => h.Remove()));
    }

    static (Tensor, Tensor) DefaultTransform(object? output) => output is EvaluationOutput o
        ? (o.Prediction, o.Target)
        : throw new InvalidOperationException(
            $"The engine's output is {output?.GetType().Name ?? "null"}, not an EvaluationOutput; pass an outputTransform that returns (prediction, target).");
}
