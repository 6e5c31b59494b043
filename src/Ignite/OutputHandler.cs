using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// What <see cref="LoggerHandlers.AttachOutputHandler"/> logs at its event, as the arguments of Ignite's
/// <c>OutputHandler(tag, metric_names, output_transform, global_step_transform)</c>.
/// </summary>
/// <example><code>
/// tb.AttachOutputHandler(trainer, Events.IterationCompleted.Every(100), new OutputHandler { Tag = "training", OutputTransform = OutputHandler.ScalarOutput("loss") });
/// tb.AttachOutputHandler(evaluator, Events.Completed, new OutputHandler { Tag = "validation", AllMetrics = true, GlobalStepTransform = OutputHandler.GlobalStepFrom(trainer) });
/// </code></example>
public sealed class OutputHandler
{
    /// <summary>Put before every key as <c>tag/key</c>; null or empty for none.</summary>
    public string? Tag { get; init; }

    /// <summary>Names of <c>State.Metrics</c> entries to log; names missing from the state are skipped.</summary>
    public IReadOnlyList<string> MetricNames { get; init; } = [];

    /// <summary>Log every entry of <c>State.Metrics</c> (Ignite's <c>metric_names="all"</c>).</summary>
    public bool AllMetrics { get; init; }

    /// <summary>Turns the engine's output into named values to log (e.g. <see cref="ScalarOutput"/>); null logs no output.</summary>
    public Func<object?, IReadOnlyDictionary<string, double>>? OutputTransform { get; init; }

    /// <summary>
    /// The step to log at, from the engine and the event that fired; default: the engine's iteration for iteration
    /// events and its epoch otherwise (Ignite's <c>global_step_from_engine</c> of the same engine).
    /// </summary>
    public Func<Engine, EventKind, long>? GlobalStepTransform { get; init; }

    /// <summary>An output transform for a scalar tensor output such as the trainer's loss (reads it: one host sync).</summary>
    public static Func<object?, IReadOnlyDictionary<string, double>> ScalarOutput(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return output => output is Tensor { } tensor && tensor.numel() == 1
            ? new Dictionary<string, double> { [name] = Read(tensor) }
            : throw new InvalidOperationException(
                $"ScalarOutput('{name}') needs the engine's output to be a one-element tensor, got {(output is Tensor t ? $"shape [{string.Join(", ", t.shape)}]" : output?.GetType().Name ?? "null")}; " +
                "pass an OutputTransform that picks the value.");
    }

    static double Read(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().to_type(ScalarType.Float64).cpu().item<double>();
    }

    /// <summary>Steps taken from another engine's counters (Ignite's <c>global_step_from_engine(trainer)</c>): its iteration for iteration events, its epoch otherwise.</summary>
    public static Func<Engine, EventKind, long> GlobalStepFrom(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return (_, kind) => DefaultStep(engine, kind);
    }

    internal static long DefaultStep(Engine engine, EventKind kind) =>
        kind is EventKind.IterationStarted or EventKind.IterationCompleted ? engine.State.Iteration : engine.State.Epoch;
}
