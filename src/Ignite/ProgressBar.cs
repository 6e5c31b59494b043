using Unified.Core.Logging;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// Shows an engine's progress with Core's progress display, as Ignite's <c>ProgressBar</c>
/// (ignite/handlers/tqdm_logger.py): on a terminal a live bar per epoch (the loss from the output, refreshed at most
/// 10 times a second) under a bar for the whole run; elsewhere (pipes, CI logs) one line per epoch. The bar advances
/// at <c>eventName</c> and closes at <c>closingEventName</c> with the chosen metrics.
/// </summary>
/// <example><code>
/// new ProgressBar().Attach(trainer, metricNames: ["all"]);
/// new ProgressBar(persist: true).Attach(evaluator, metricNames: ["accuracy"], closingEventName: Events.Completed);
/// </code></example>
public sealed class ProgressBar
{
    static readonly Tensor NoLoss = tensor(float.NaN).DetachFromDisposeScope();
    readonly Func<Engine, IReadOnlyCollection<string>?, IProgressDisplay> createDisplay;

    /// <summary>A bar on <paramref name="output"/> (default the console).</summary>
    /// <param name="persist">Keep each epoch's bar when it closes (tqdm's <c>leave</c>); by default it is removed, as Ignite's.</param>
    /// <param name="output">Where the display goes: a live bar when it is the interactive console, epoch lines otherwise.</param>
    /// <param name="barFormat">
    /// A tqdm format string (Ignite's <c>bar_format</c>, e.g. <see cref="BarFormat.IgniteDefault"/>): each epoch is then
    /// one line in that format, the bar as it stands at the closing event, with the shown metrics as its postfix.
    /// </param>
    /// <exception cref="ArgumentException">The bar format has an unknown placeholder or spec.</exception>
    public ProgressBar(bool persist = false, TextWriter? output = null, string? barFormat = null)
    {
        var writer = output ?? Console.Out;
        var format = barFormat is null ? null : new BarFormat(barFormat);
        createDisplay = (engine, names) => format is not null
            ? new FormattedProgress(writer, format, MaxEpochs(engine), engine.State.EpochLength ?? 0)
            : writer == Console.Out && LiveProgress.IsSupported
            ? new LiveProgress(MaxEpochs(engine), engine.State.EpochLength ?? 0, names is null ? null : () => names) { HideCompletedEpochs = !persist }
            : new PlainProgress(writer, MaxEpochs(engine));
    }

    /// <summary>A bar drawn by <paramref name="createDisplay"/>(engine, metric names shown or null for all), e.g. a <see cref="LiveProgress"/> on another console.</summary>
    public ProgressBar(Func<Engine, IReadOnlyCollection<string>?, IProgressDisplay> createDisplay) =>
        this.createDisplay = createDisplay ?? throw new ArgumentNullException(nameof(createDisplay));

    static int MaxEpochs(Engine engine) => engine.State.MaxEpochs
        ?? (engine.State.MaxIters is long iters && engine.State.EpochLength is int length ? (int)((iters + length - 1) / length) : 1);

    /// <summary>
    /// Shows <paramref name="engine"/>'s runs, as Ignite's <c>attach</c>.
    /// </summary>
    /// <param name="engine">The engine to show.</param>
    /// <param name="metricNames"><c>State.Metrics</c> shown when the bar closes: <c>["all"]</c> for every numeric one, none by default.</param>
    /// <param name="outputTransform">The loss shown on the bar from the engine's output (default: the output when it is a one-element tensor).</param>
    /// <param name="eventName">Where the bar advances (default <see cref="Events.IterationCompleted"/>; a filtered event advances it less often).</param>
    /// <param name="closingEventName">Where the bar closes with the metrics (default <see cref="Events.EpochCompleted"/>).</param>
    public RemovableHandle Attach(Engine engine, IReadOnlyCollection<string>? metricNames = null, Func<object?, Tensor>? outputTransform = null,
        Event? eventName = null, Event? closingEventName = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        bool all = metricNames is not null && metricNames.Contains("all");
        IProgressDisplay? display = null;
        var handles = new List<RemovableHandle>
        {
            engine.On(Events.Started, e =>
            {
                display?.Dispose();
                display = createDisplay(e, all ? null : metricNames ?? []);
                display.Start();
            }),
            engine.On(eventName ?? Events.IterationCompleted, e =>
            {
                if (display is null) return;
                var loss = outputTransform?.Invoke(e.State.Output) ?? (e.State.Output is Tensor { NumberOfElements: 1 } t ? t : NoLoss);
                display.OnStep(new StepReport(e.State.Epoch - 1, e.State.EpochIteration - 1, e.State.EpochLength ?? 0, loss, e.State.Batch?.Size ?? 0));
                // A tensor the transform made is read during OnStep only.
                if (outputTransform is not null && !ReferenceEquals(loss, e.State.Output)) loss.Dispose();
            }),
            engine.On(closingEventName ?? Events.EpochCompleted, e =>
            {
                var metrics = e.State.ScalarMetrics().Where(kv => all || (metricNames?.Contains(kv.Key) ?? false)).ToDictionary();
                display?.OnEpoch(new EpochResult(e.State.Epoch - 1, e.State.Iteration, metrics));
            }),
        };
        engine.OnRunEnd(_ =>
        {
            display?.Dispose();
            display = null;
        });
        return new RemovableHandle(() => handles.ForEach(h => h.Remove()));
    }
}
