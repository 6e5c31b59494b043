using Unified.Core.Distributed;
using Unified.Core.Metrics;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>Attaches Core metrics and metric expressions to an engine, as Ignite's <c>metric.attach(engine, name, usage)</c>.</summary>
public static class MetricAttachment
{
    /// <summary>
    /// Resets <paramref name="metric"/> when its span starts, updates it after every iteration from the engine's
    /// output (by default an <see cref="EvaluationOutput"/>), and writes <c>State.Metrics[name]</c> when the span ends:
    /// a number for a scalar result, otherwise the tensor (per-class results, matrices). With several ranks in
    /// <paramref name="processGroup"/> the state is synced over them first (collective).
    /// </summary>
    /// <example><code>new Accuracy().Attach(evaluator, "accuracy");</code></example>
    public static RemovableHandle Attach(this Metric metric, Engine engine, string name,
        Func<object?, (Tensor Prediction, Tensor Target)>? outputTransform = null, MetricUsage usage = MetricUsage.Epoch,
        IProcessGroup? processGroup = null)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return ((MetricExpression)metric).Attach(engine, name, outputTransform, usage, processGroup);
    }

    /// <summary>
    /// Attaches a value computed from metrics (metric arithmetic or <see cref="MetricsLambda"/>): each of its metrics
    /// is reset, updated once per iteration and synced, then the value is computed into <c>State.Metrics[name]</c>.
    /// </summary>
    /// <example><code>(2 * precision * recall / (precision + recall)).Attach(evaluator, "f1");</code></example>
    public static RemovableHandle Attach(this MetricExpression expression, Engine engine, string name,
        Func<object?, (Tensor Prediction, Tensor Target)>? outputTransform = null, MetricUsage usage = MetricUsage.Epoch,
        IProcessGroup? processGroup = null)
    {
        ArgumentNullException.ThrowIfNull(expression);
        outputTransform ??= DefaultTransform;
        return Attach(engine, name, usage, expression.Metrics, processGroup, expression.ComputeTensor, metric => e =>
        {
            var (prediction, target) = outputTransform(e.State.Output);
            metric.Update(prediction, target);
        });
    }

    /// <summary>
    /// Attaches a running average of a scalar taken from the output (by default the output itself, e.g. the trainer's
    /// loss), computed after every iteration (Ignite's <c>RunningAverage(output_transform=...)</c>).
    /// </summary>
    /// <example><code>new RunningAverage(alpha: 0.98).Attach(trainer, "loss");</code></example>
    public static RemovableHandle Attach(this RunningAverage average, Engine engine, string name, Func<object?, Tensor>? output = null,
        MetricUsage usage = MetricUsage.RunningBatch)
    {
        ArgumentNullException.ThrowIfNull(average);
        output ??= o => o as Tensor ?? throw new InvalidOperationException(
            $"RunningAverage '{name}' needs the engine's output to be a tensor, got {MetricValues.Describe(o)}; pass an output function.");
        // Computed every iteration: read as a number in place (Compute), not copied into a tensor first.
        return Attach(engine, name, usage, [average], null, () => average.Compute(), _ => e => average.Update(output(e.State.Output)));
    }

    // Metrics that several attached values share (Precision in 2 * P * R / (P + R) and in a lambda over it) are
    // reset and updated once per engine and span, as Ignite's MetricsLambda attaches each dependency once.
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Engine, Dictionary<(Metric, MetricUsage), (RemovableHandle Handle, int Users)>> Shared = new();

    static RemovableHandle Attach(Engine engine, string name, MetricUsage usage, IReadOnlyList<Metric> metrics, IProcessGroup? group,
        Func<object> compute, Func<Metric, Action<Engine>> update)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var (start, end) = usage switch
        {
            MetricUsage.Epoch => (Events.EpochStarted, Events.EpochCompleted),
            MetricUsage.Run => (Events.Started, Events.Completed),
            MetricUsage.Batch => (Events.IterationStarted, Events.IterationCompleted),
            MetricUsage.RunningBatch => (Events.Started, Events.IterationCompleted),
            MetricUsage.RunningEpoch => (Events.Started, Events.EpochCompleted),
            _ => throw new ArgumentOutOfRangeException(nameof(usage), usage, "Unknown metric usage."),
        };
        // Syncing makes a metric final until its next reset, so only the spans that end with a reset sync.
        bool sync = group is { WorldSize: > 1 } && usage is MetricUsage.Epoch or MetricUsage.Run;
        var shared = Shared.GetOrCreateValue(engine);
        foreach (var metric in metrics)
        {
            if (shared.TryGetValue((metric, usage), out var entry)) shared[(metric, usage)] = (entry.Handle, entry.Users + 1);
            else
            {
                var reset = engine.On(start, _ => metric.Reset());
                var updated = engine.On(Events.IterationCompleted, update(metric));
                // Synced once, before the first value computed from it at the span's end.
                var synced = sync ? engine.On(end, _ => metric.Sync(group!)) : null;
                shared[(metric, usage)] = (new RemovableHandle(() => { reset.Remove(); updated.Remove(); synced?.Remove(); }), 1);
            }
        }
        var computed = engine.On(end, e => Store(e.State, name, compute()));
        return new RemovableHandle(() =>
        {
            computed.Remove();
            foreach (var metric in metrics)
            {
                var (handle, users) = shared[(metric, usage)];
                if (users > 1) shared[(metric, usage)] = (handle, users - 1);
                else
                {
                    handle.Remove();
                    shared.Remove((metric, usage));
                }
            }
        });
    }

    // A scalar is stored as a number; anything else as the tensor, which the state owns until it is replaced.
    static void Store(State state, string name, object result)
    {
        if (state.Metrics.TryGetValue(name, out var previous) && previous is Tensor old) old.Dispose();
        if (result is not Tensor value) state.Metrics[name] = result;
        else if (value.numel() == 1)
        {
            state.Metrics[name] = value.item<double>();
            value.Dispose();
        }
        else state.Metrics[name] = value.DetachFromDisposeScope();
    }

    static (Tensor, Tensor) DefaultTransform(object? output) => output is EvaluationOutput o
        ? (o.Prediction, o.Target)
        : throw new InvalidOperationException(
            $"The engine's output is {output?.GetType().Name ?? "null"}, not an EvaluationOutput; pass an outputTransform that returns (prediction, target).");
}
