using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Unified.Ignite;

/// <summary>
/// Times the data loading, the process function and the handlers of every event of a run, as Ignite's
/// <c>BasicTimeProfiler</c> (ignite/handlers/time_profilers.py): at <c>Started</c> it adds a handler before and one
/// after the handlers of each event, and removes them at <c>Completed</c>. Read <see cref="GetResults"/>, print it with
/// <see cref="PrintResults"/>, or write every iteration's times with <see cref="WriteResults"/>.
/// </summary>
/// <example><code>
/// var profiler = new BasicTimeProfiler();
/// profiler.Attach(trainer);
/// trainer.Run(data, maxEpochs: 3);
/// Console.WriteLine(BasicTimeProfiler.PrintResults(profiler.GetResults()));
/// profiler.WriteResults("time_profiling.csv");
/// </code></example>
public sealed class BasicTimeProfiler
{
    // ignite's self._events: the events timed per occurrence (STARTED only as a whole).
    static readonly Event[] Timed =
        [Events.EpochStarted, Events.EpochCompleted, Events.IterationStarted, Events.IterationCompleted, Events.GetBatchStarted, Events.GetBatchCompleted, Events.Completed];

    // ignite's `for e in Events if e not in events_to_ignore`, in Events' order.
    static readonly Event[] Reported =
        [Events.Started, Events.EpochStarted, Events.IterationStarted, Events.IterationCompleted, Events.EpochCompleted, Events.Completed, Events.GetBatchStarted, Events.GetBatchCompleted];

    readonly List<RemovableHandle> added = [];
    readonly Dictionary<string, double[]> handlerTimes = new(StringComparer.Ordinal);
    Dictionary<string, IReadOnlyList<string>> handlerNames = new(StringComparer.Ordinal);
    double[] dataflow = [0], processing = [0];
    long handlersStart, dataflowStart, processingStart;
    int maxEpochs, totalIterations;
    Engine? attached;
    bool startedPending;

    /// <summary>Profiles <paramref name="engine"/>'s runs from the next <c>Started</c> on.</summary>
    public void Attach(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (ReferenceEquals(attached, engine)) return;
        attached = engine;
        engine.Prepend(Events.Started, FirstStarted);
    }

    void FirstStarted(Engine engine)
    {
        int perEpoch = engine.State.EpochLength ?? throw new InvalidOperationException(
            "BasicTimeProfiler needs the epoch length at Started; pass data with a length, or Run(..., epochLength: N).");
        maxEpochs = engine.State.MaxEpochs ?? (int)((engine.State.MaxIters!.Value + perEpoch - 1) / perEpoch);
        totalIterations = maxEpochs * perEpoch;
        (dataflow, processing) = (new double[totalIterations], new double[totalIterations]);
        handlerTimes.Clear();
        foreach (var evt in Reported)
            handlerTimes[evt.Name] = new double[evt == Events.Started || evt == Events.Completed ? 1 : evt == Events.EpochStarted || evt == Events.EpochCompleted ? maxEpochs : totalIterations];
        handlerNames = Reported.ToDictionary(e => e.Name, e => (IReadOnlyList<string>)[.. engine.HandlersOf(e).Where(h => h.Target != this).Select(Name)], StringComparer.Ordinal);
        startedPending = true;
        foreach (var evt in Timed)
        {
            added.Add(engine.Prepend(evt, e => First(e, evt)));
            added.Add(engine.On(evt, e => Last(e, evt)));
        }
        handlersStart = Stopwatch.GetTimestamp();
    }

    void First(Engine engine, Event evt)
    {
        long now = Stopwatch.GetTimestamp();
        // Ignite appends a last STARTED handler while STARTED fires; this engine fires a snapshot of the handlers, so
        // the STARTED handlers' time ends where the next event begins.
        if (startedPending) (handlerTimes[Events.Started.Name][0], startedPending) = (Seconds(handlersStart, now), false);
        if (evt == Events.GetBatchStarted) dataflowStart = now;
        else if (evt == Events.IterationCompleted && engine.State.Iteration - 1 < totalIterations) processing[engine.State.Iteration - 1] = Seconds(processingStart, now);
        handlersStart = Stopwatch.GetTimestamp();
    }

    void Last(Engine engine, Event evt)
    {
        double handlers = Seconds(handlersStart);
        // The batch events fire before the iteration counter advances: they belong to the iteration being fetched
        // (Ignite indexes them with iteration - 1 of the previous one, the first going to the last slot).
        long index = evt == Events.EpochStarted || evt == Events.EpochCompleted ? engine.State.Epoch - 1
            : evt == Events.Completed ? 0
            : evt == Events.GetBatchStarted || evt == Events.GetBatchCompleted ? engine.State.Iteration
            : engine.State.Iteration - 1;
        var times = handlerTimes[evt.Name];
        if (index < times.Length) times[index] = handlers;
        if (evt == Events.GetBatchCompleted && index < dataflow.Length) dataflow[index] = Seconds(dataflowStart);
        else if (evt == Events.IterationStarted) processingStart = Stopwatch.GetTimestamp();
        else if (evt == Events.Completed)
        {
            foreach (var handle in added) handle.Remove();
            added.Clear();
        }
    }

    static double Seconds(long start, long? end = null) => Stopwatch.GetElapsedTime(start, end ?? Stopwatch.GetTimestamp()).TotalSeconds;

    static string Name(Delegate handler) => handler.Target is { } target && handler.Method.Name is "Handle" or "Invoke"
        ? target.GetType().Name
        : $"{handler.Method.DeclaringType?.Name}.{handler.Method.Name}";

    /// <summary>The aggregated times of the runs so far, as Ignite's <c>get_results()</c>.</summary>
    public BasicTimeProfilerResults GetResults() => new(
        TimeStats.Of(processing),
        TimeStats.Of(dataflow),
        Reported.ToDictionary(e => e.Name, e => TimeStats.Of(handlerTimes.GetValueOrDefault(e.Name) ?? [0]), StringComparer.Ordinal),
        handlerTimes.Values.Sum(t => t.Sum()),
        handlerNames);

    /// <summary>The results as Ignite's <c>print_results</c> formats them (seconds).</summary>
    public static string PrintResults(BasicTimeProfilerResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var text = new StringBuilder();
        text.Append(" ----------------------------------------------------\n");
        text.Append("| Time profiling stats (in seconds):                 |\n");
        text.Append(" ----------------------------------------------------\n");
        text.Append("total  |  min/index  |  max/index  |  mean  |  std\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Processing function:\n{results.Processing}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Dataflow:\n{results.Dataflow}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Event handlers:\n{results.EventHandlersTotal:F5}\n\n");
        foreach (var (name, stats) in results.EventHandlers)
        {
            var names = results.EventHandlerNames.GetValueOrDefault(name) ?? [];
            text.Append(CultureInfo.InvariantCulture, $"- Events.{name}: [{string.Join(", ", names.Select(n => $"'{n}'"))}]\n{stats}\n\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// Writes every iteration's times to a CSV file, as Ignite's <c>write_results</c>: columns <c>epoch</c>,
    /// <c>iteration</c>, <c>processing_stats</c>, <c>dataflow_stats</c>, then <c>Event_STARTED</c> … <c>Event_GET_BATCH_COMPLETED</c>
    /// (per-run and per-epoch times repeated on each of their rows).
    /// </summary>
    /// <exception cref="InvalidOperationException">No run was profiled yet.</exception>
    public void WriteResults(string outputPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        if (totalIterations == 0) throw new InvalidOperationException("BasicTimeProfiler has no results yet; run the engine it is attached to first.");
        int perEpoch = totalIterations / maxEpochs;
        string[] columns = ["STARTED", "COMPLETED", "EPOCH_STARTED", "EPOCH_COMPLETED", "ITERATION_STARTED", "ITERATION_COMPLETED", "GET_BATCH_STARTED", "GET_BATCH_COMPLETED"];
        var text = new StringBuilder("epoch,iteration,processing_stats,dataflow_stats," + string.Join(",", columns.Select(c => "Event_" + c)) + "\n");
        for (int i = 0; i < totalIterations; i++)
        {
            var row = new List<double> { i / perEpoch + 1, i + 1, processing[i], dataflow[i] };
            foreach (var column in columns)
            {
                var times = handlerTimes[column];
                row.Add(times.Length == 1 ? times[0] : times.Length == maxEpochs && maxEpochs != totalIterations ? times[i / perEpoch] : times[i]);
            }
            text.AppendJoin(',', row.Select(v => v.ToString("0.0###############", CultureInfo.InvariantCulture))).Append('\n');
        }
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        Core.Checkpointing.AtomicFile.Write(outputPath, stream => stream.Write(bytes));
    }
}
