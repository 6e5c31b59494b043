using System.Diagnostics;
using Unified.Core.Data;
using Unified.Core.Runtime;
using Unified.Core.State;

namespace Unified.Ignite;

/// <summary>
/// Runs a process function over data for some epochs and fires <see cref="Events"/> that handlers attach to, as
/// Ignite's <c>Engine</c>. The engine only loops and fires events; metrics, logging and evaluation are handlers.
/// </summary>
/// <example><code>
/// var engine = new Engine((e, batch) =&gt; batch.Size);
/// using var handle = engine.On(Events.EpochCompleted, e =&gt; Console.WriteLine($"epoch {e.State.Epoch}"));
/// engine.Run(data.Train, maxEpochs: 3);
/// </code></example>
public sealed class Engine : IStateful
{
    readonly Func<Engine, Batch, object?> process;
    readonly Dictionary<EventKind, List<(Event Event, Delegate Handler)>> handlers = [];
    readonly List<Action<Exception?>> runEnd = [];
    Exception? runFailure;
    bool terminate;
    // Epochs whose EpochCompleted has fired: with Iteration it tells a mid-epoch save from an end-of-epoch one.
    int epochsCompleted;
    (long Iteration, int EpochsCompleted)? resumeFrom;

    /// <summary>Creates an engine around <paramref name="process"/>(engine, batch) → output.</summary>
    public Engine(Func<Engine, Batch, object?> process)
    {
        this.process = process ?? throw new ArgumentNullException(nameof(process));
        TorchRuntime.Initialize();
    }

    /// <summary>The run's counters, batch, output and metrics.</summary>
    public State State { get; } = new();

    /// <summary>Adds <paramref name="handler"/> for <paramref name="evt"/>; dispose the returned handle to remove it.</summary>
    public RemovableHandle On(Event evt, Action<Engine> handler) => Add(evt, handler);

    /// <summary>Adds <paramref name="handler"/> for every event of <paramref name="events"/>.</summary>
    public RemovableHandle On(EventList events, Action<Engine> handler)
    {
        var handles = events.Events.Select(e => Add(e, handler)).ToList();
        return new RemovableHandle(() => handles.ForEach(h => h.Remove()));
    }

    /// <summary>Handles exceptions from the process function or handlers; with such a handler the run does not rethrow (cancellation always propagates).</summary>
    public RemovableHandle On(Event evt, Action<Engine, Exception> handler) =>
        evt.Kind == EventKind.ExceptionRaised
            ? Add(evt, handler)
            : throw new ArgumentException($"Handlers with an exception argument are for {EventKind.ExceptionRaised} only, not {evt.Kind}.", nameof(evt));

    /// <summary>Whether any handler is registered for <paramref name="kind"/>.</summary>
    public bool HasHandlers(EventKind kind) => handlers.TryGetValue(kind, out var list) && list.Count > 0;

    /// <summary>Stops the run after the current iteration; <see cref="EventKind.EpochCompleted"/> and <see cref="EventKind.Completed"/> still fire.</summary>
    public void Terminate() => terminate = true;

    /// <summary>Runs <paramref name="action"/> whenever <see cref="Run"/> returns or throws (the trainer factories restore weights here).</summary>
    internal void OnRunEnd(Action action) => runEnd.Add(_ => action());

    /// <summary>
    /// Runs <paramref name="action"/> whenever <see cref="Run"/> returns or throws, with the exception that ended the
    /// run (also one that <see cref="EventKind.ExceptionRaised"/> handlers handled), or null when it completed.
    /// </summary>
    internal void OnRunEnd(Action<Exception?> action) => runEnd.Add(action);

    /// <summary>
    /// Runs <paramref name="data"/> for <paramref name="maxEpochs"/> epochs and returns the final state. After
    /// <see cref="LoadStateDict"/>, the run continues from the loaded iteration (mid-epoch included: the epoch's
    /// remaining batches, in the same order) instead of starting over, as Ignite's <c>run</c> after <c>load_state_dict</c>.
    /// </summary>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled (checked between iterations where <see cref="CanInterrupt"/>
    /// allows); <see cref="Events.Interrupt"/> handlers ran first.
    /// </exception>
    public State Run(IBatchLoader data, int maxEpochs = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (maxEpochs < 1) throw new ArgumentOutOfRangeException(nameof(maxEpochs), maxEpochs, "maxEpochs must be a positive integer.");
        var (iteration, completed) = resumeFrom ?? (0, 0);
        resumeFrom = null;
        if (iteration > 0 && iteration > (long)(completed + 1) * data.Count)
            throw new InvalidOperationException($"The loaded state (iteration {iteration}, {completed} epochs completed) does not fit {data.Count} iterations per epoch; resume with the same data and batch size.");
        (State.Iteration, State.Epoch, State.MaxEpochs, State.EpochLength) = (iteration, completed, maxEpochs, data.Count);
        epochsCompleted = completed;
        State.Metrics.Clear();
        (terminate, runFailure) = (false, null);
        var run = Stopwatch.StartNew();
        // An iteration counted but not processed: a stop raised by an IterationStarted handler (DistributedStop) must
        // not leave it in the counters that a checkpoint saved on Interrupt records.
        bool counted = false;
        try
        {
            Fire(EventKind.Started);
            while (State.Epoch < maxEpochs && !terminate)
            {
                State.Epoch++;
                int first = (int)(State.Iteration - (long)(State.Epoch - 1) * data.Count);
                var epoch = Stopwatch.StartNew();
                Fire(EventKind.EpochStarted);
                foreach (var batch in data.Epoch(State.Epoch - 1, first))
                {
                    ReleaseIteration();
                    State.Batch = batch; // owned from here, so that a cancelled run disposes it too
                    if (CanInterrupt?.Invoke(this) ?? true) cancellationToken.ThrowIfCancellationRequested();
                    State.Iteration++;
                    counted = true;
                    Fire(EventKind.IterationStarted);
                    State.Output = process(this, batch);
                    counted = false;
                    Fire(EventKind.IterationCompleted);
                    if (terminate) break;
                }
                State.EpochSeconds = epoch.Elapsed.TotalSeconds;
                epochsCompleted = State.Epoch;
                Fire(EventKind.EpochCompleted);
            }
            State.RunSeconds = run.Elapsed.TotalSeconds;
            Fire(EventKind.Completed);
        }
        catch (Exception e) when (Remember(e))
        {
            throw; // not reached: Remember only looks
        }
        catch (OperationCanceledException)
        {
            if (counted) State.Iteration--;
            ReleaseIteration();
            Fire(EventKind.Interrupt);
            throw;
        }
        catch (Exception e) when (HasHandlers(EventKind.ExceptionRaised))
        {
            foreach (var (_, handler) in Snapshot(EventKind.ExceptionRaised)) ((Action<Engine, Exception>)handler)(this, e);
        }
        finally
        {
            ReleaseIteration();
            foreach (var action in runEnd) action(runFailure);
        }
        return State;
    }

    /// <summary>
    /// Where a cancellation may stop the run (checked before each iteration); null: anywhere. The supervised trainer
    /// allows only optimiser-step boundaries, so that an interrupted run leaves no half-accumulated gradients.
    /// </summary>
    public Func<Engine, bool>? CanInterrupt { get; set; }

    /// <summary>The run's counters, as Ignite's <c>engine.state_dict()</c>: <c>iteration</c>, <c>epoch_length</c>, <c>max_epochs</c>, <c>epochs_completed</c>.</summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["iteration"] = State.Iteration;
        state.Values["epoch_length"] = State.EpochLength;
        state.Values["max_epochs"] = State.MaxEpochs;
        state.Values["epochs_completed"] = epochsCompleted;
        return state;
    }

    /// <summary>Loads counters saved by <see cref="StateDict"/>; the next <see cref="Run"/> continues from them.</summary>
    public void LoadStateDict(StateDict state)
    {
        long iteration = state.Value<long>("iteration");
        int completed = state.Value<int>("epochs_completed"), length = state.Value<int>("epoch_length");
        if (iteration < 0 || completed < 0 || length < 0 || iteration < (long)completed * length)
            throw new InvalidDataException($"Engine state (iteration {iteration}, {completed} epochs completed of {length} iterations) is inconsistent.");
        resumeFrom = (iteration, completed);
        (State.Iteration, State.Epoch, State.EpochLength, State.MaxEpochs) = (iteration, completed, length, state.Value<int>("max_epochs"));
    }

    // An exception filter sees the exception before any handler runs, and before finally blocks unwind.
    bool Remember(Exception e)
    {
        runFailure = e;
        return false;
    }

    /// <summary>Replaces the current batch (e.g. with its copy on the device); the engine disposes it like any batch.</summary>
    internal void ReplaceBatch(Batch batch) => State.Batch = batch;

    RemovableHandle Add(Event evt, Delegate handler)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(handler);
        if (!handlers.TryGetValue(evt.Kind, out var list)) handlers[evt.Kind] = list = [];
        var entry = (evt, handler);
        list.Add(entry);
        return new RemovableHandle(() => list.Remove(entry));
    }

    void Fire(EventKind kind)
    {
        if (!handlers.TryGetValue(kind, out var list) || list.Count == 0) return;
        long count = kind switch
        {
            EventKind.IterationStarted or EventKind.IterationCompleted => State.Iteration,
            EventKind.EpochStarted or EventKind.EpochCompleted => State.Epoch,
            _ => 1,
        };
        foreach (var (evt, handler) in Snapshot(kind))
            if (evt.Matches(this, count)) ((Action<Engine>)handler)(this);
    }

    // A handler may remove itself (or others) while the event fires.
    (Event Event, Delegate Handler)[] Snapshot(EventKind kind) => handlers.TryGetValue(kind, out var list) ? [.. list] : [];

    void ReleaseIteration()
    {
        (State.Output as IDisposable)?.Dispose();
        State.Batch?.Dispose();
        (State.Output, State.Batch) = (null, null);
    }
}
