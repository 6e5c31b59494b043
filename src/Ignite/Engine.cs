using System.Diagnostics;
using Unified.Core.Data;
using Unified.Core.Runtime;
using Unified.Core.State;

namespace Unified.Ignite;

/// <summary>
/// Runs a process function over data and fires <see cref="Events"/> that handlers attach to, as Ignite 0.5's
/// <c>Engine</c> (ignite/engine/engine.py): the engine only loops and fires events; metrics, logging, checkpoints and
/// evaluation are handlers. The data position is part of the state, so a resumed run gets exactly the batches an
/// uninterrupted one would (Ignite's <c>DeterministicEngine</c>).
/// </summary>
/// <example><code>
/// var engine = new Engine((e, batch) =&gt; batch.Size);
/// using var handle = engine.On(Events.EpochCompleted, e =&gt; Console.WriteLine($"epoch {e.State.Epoch}"));
/// engine.Run(data.Train, maxEpochs: 3);
/// </code></example>
public partial class Engine : IStateful
{
    readonly Func<Engine, Batch, object?> process;
    readonly List<Action<Exception?>> runEnd = [];
    Exception? runFailure;
    Stop terminate, terminateEpoch;
    bool interrupt, inDataLoop, epochOpen, counted, fetched, restarted;
    Phase phase;
    DataCursor? cursor;
    (int Pass, int Offset)? position;
    long epochStart, runStart;

    enum Phase { Start, NextEpoch, GetBatch, Fetch, Iterate, Process, AfterIteration, EpochEnd, Complete }

    enum Stop { None, Yes, SkipEvent }

    sealed class TerminateSignal : Exception;

    sealed class TerminateEpochSignal : Exception;

    /// <summary>Creates an engine around <paramref name="process"/>(engine, batch) → output.</summary>
    public Engine(Func<Engine, Batch, object?> process)
    {
        this.process = process ?? throw new ArgumentNullException(nameof(process));
        TorchRuntime.Initialize();
    }

    /// <summary>The run's counters, batch, output and metrics.</summary>
    public State State { get; } = new();

    /// <summary>
    /// Where a cancellation may stop the run (checked before each batch is fetched); null: anywhere. The supervised
    /// trainer allows only optimiser-step boundaries, so that an interrupted run leaves no half-accumulated gradients.
    /// </summary>
    public Func<Engine, bool>? CanInterrupt { get; set; }

    /// <summary>
    /// Ends the run after the current event: <see cref="Events.Terminate"/> then <see cref="Events.Completed"/> fire
    /// (not the current epoch's <see cref="Events.EpochCompleted"/>), as Ignite 0.5's <c>terminate()</c>. A later run
    /// of this engine starts the next epoch; a checkpoint saved at <c>Terminate</c> resumes inside the stopped epoch.
    /// </summary>
    public void Terminate(bool skipCompleted = false) => terminate = skipCompleted ? Stop.SkipEvent : Stop.Yes;

    /// <summary>
    /// Ends the current epoch after the current iteration or batch event: <see cref="Events.TerminateSingleEpoch"/>,
    /// then the epoch's <see cref="Events.EpochCompleted"/> (unless skipped) fire and the next epoch starts with a new
    /// pass over the data, as Ignite's <c>terminate_epoch()</c>.
    /// </summary>
    public void TerminateEpoch(bool skipEpochCompleted = false) => terminateEpoch = skipEpochCompleted ? Stop.SkipEvent : Stop.Yes;

    /// <summary>Pauses the run after the current event (<see cref="Events.Interrupt"/> fires, <c>Run</c> returns); the next <c>Run</c> continues from there, as Ignite's <c>interrupt()</c>.</summary>
    public void Interrupt() => interrupt = true;

    /// <summary>Runs <paramref name="action"/> whenever a run ends (returns, throws or is cancelled; not when interrupted), with the exception that ended it or null.</summary>
    internal void OnRunEnd(Action<Exception?> action) => runEnd.Add(action);

    /// <summary>
    /// Runs <paramref name="data"/> for <paramref name="maxEpochs"/> epochs or <paramref name="maxIters"/> iterations
    /// (one of them; default 1 epoch) of <paramref name="epochLength"/> iterations (default: all batches), as Ignite's
    /// <c>run</c>: a first run, or a run after the previous one is done, starts a new state; otherwise (after
    /// <see cref="LoadStateDict"/>, <see cref="Interrupt"/>, <see cref="Terminate"/> or a raised limit) the run
    /// continues, mid-epoch included, to the given limit.
    /// </summary>
    /// <exception cref="ArgumentException">Both limits, a limit below the state's progress, an epoch length larger than the data or different from the state's, or empty data.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (checked before each batch where <see cref="CanInterrupt"/> allows); <see cref="Events.Interrupt"/> handlers ran first.</exception>
    public State Run(IBatchLoader data, int? maxEpochs = null, long? maxIters = null, int? epochLength = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Run(new DataCursor(data), maxEpochs, maxIters, epochLength, cancellationToken);
    }

    /// <summary>Runs <paramref name="data"/> for <paramref name="maxEpochs"/> epochs, cancellable between batches.</summary>
    public State Run(IBatchLoader data, int maxEpochs, CancellationToken cancellationToken) => Run(data, maxEpochs, null, null, cancellationToken);

    /// <summary>
    /// Runs batches from any sequence, also one without a length (a generator): without <paramref name="epochLength"/>
    /// the first epoch ends when the sequence does, as in Ignite. A resumed run skips the batches already seen.
    /// </summary>
    public State Run(IEnumerable<Batch> data, int? maxEpochs = null, long? maxIters = null, int? epochLength = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Run(new DataCursor(data), maxEpochs, maxIters, epochLength, cancellationToken);
    }

    State Run(DataCursor data, int? maxEpochs, long? maxIters, int? epochLength, CancellationToken cancellationToken)
    {
        using var owned = data;
        Prepare(data.Length, maxEpochs, maxIters, epochLength);
        cursor = data;
        var (pass, offset) = position ?? (data.Length is int n && n > 0 ? ((int)(State.Iteration / n), (int)(State.Iteration % n)) : (0, 0));
        data.Seek(pass, offset);
        (terminate, terminateEpoch, interrupt, runFailure) = (Stop.None, Stop.None, false, null);
        if (phase == Phase.Start) runStart = Stopwatch.GetTimestamp();
        bool paused = false;
        try
        {
            paused = Loop(cancellationToken);
        }
        catch (OperationCanceledException e)
        {
            (runFailure, phase) = (e, Phase.Start);
            Uncount();
            ReleaseIteration();
            Fire(Events.Interrupt);
            throw;
        }
        catch (Exception e) when (HasHandlers(EventKind.ExceptionRaised))
        {
            (runFailure, phase) = (e, Phase.Start);
            FireExceptionRaised(e);
        }
        catch (Exception e)
        {
            (runFailure, phase) = (e, Phase.Start);
            throw;
        }
        finally
        {
            position = (cursor!.Pass, cursor.Offset);
            (cursor, counted, fetched) = (null, false, false);
            if (!paused)
            {
                ReleaseIteration();
                foreach (var action in runEnd) action(runFailure);
            }
        }
        return State;
    }

    void Prepare(int? dataLength, int? maxEpochs, long? maxIters, int? epochLength)
    {
        if (maxEpochs is not null && maxIters is not null)
            throw new ArgumentException("maxEpochs and maxIters are mutually exclusive; pass only one of them.", nameof(maxIters));
        if (maxEpochs < 1) throw new ArgumentOutOfRangeException(nameof(maxEpochs), maxEpochs, "maxEpochs must be a positive integer.");
        if (maxIters < 1) throw new ArgumentOutOfRangeException(nameof(maxIters), maxIters, "maxIters must be a positive integer.");
        if (epochLength < 1) throw new ArgumentOutOfRangeException(nameof(epochLength), epochLength, "epochLength must be a positive integer.");
        if (dataLength == 0) throw new ArgumentException("The data has no batches; Run needs at least one (check the split and the batch size).", "data");
        if (epochLength > dataLength)
            throw new ArgumentOutOfRangeException(nameof(epochLength), epochLength, $"epochLength {epochLength} is larger than the data's {dataLength} batches; pass at most {dataLength}.");
        if (maxIters is not null && State.MaxEpochs is not null)
            throw new ArgumentException("To switch from maxEpochs to maxIters, first set State.MaxEpochs = null (the run then starts over).", nameof(maxIters));
        if (maxEpochs is not null && State.MaxIters is not null)
            throw new ArgumentException("To switch from maxIters to maxEpochs, first set State.MaxIters = null (the run then starts over).", nameof(maxEpochs));
        if (maxEpochs is int epochs && State.MaxEpochs is not null)
            State.MaxEpochs = epochs >= State.Epoch ? epochs : throw new ArgumentOutOfRangeException(nameof(maxEpochs), epochs,
                $"maxEpochs must be at least the state's epoch {State.Epoch}; set State.MaxEpochs = null to start over.");
        if (maxIters is long iters && State.MaxIters is not null)
            State.MaxIters = iters >= State.Iteration ? iters : throw new ArgumentOutOfRangeException(nameof(maxIters), iters,
                $"maxIters must be at least the state's iteration {State.Iteration}; set State.MaxIters = null to start over.");
        if ((State.MaxEpochs is null && State.MaxIters is null) || (phase == Phase.Start && IsDone()))
        {
            (State.Iteration, State.Epoch, State.EpochIteration, epochOpen, position, phase) = (0, 0, 0, false, null, Phase.Start);
            (State.MaxEpochs, State.MaxIters) = (maxIters is null ? maxEpochs ?? 1 : null, maxIters);
            State.EpochLength = epochLength ?? dataLength;
            State.Metrics.Clear();
        }
        else if (State.EpochLength is int length && epochLength is int given && given != length)
            throw new ArgumentException($"epochLength must stay {length} (the state's) when a run continues, not {given}.", nameof(epochLength));
        else State.EpochLength ??= epochLength ?? dataLength;
    }

    // ignite/engine/engine.py Engine._is_done, with an epoch left open by a checkpoint or an exception still to finish.
    bool IsDone() => (State.MaxIters is long iters && State.Iteration >= iters) || (State.MaxEpochs is int epochs && State.Epoch >= epochs && !epochOpen);

    // Returns true when paused by Interrupt().
    bool Loop(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (Step(cancellationToken) is { } result) return result;
            }
            catch (TerminateEpochSignal)
            {
                Fire(Events.TerminateSingleEpoch);
                cursor!.NextPass();
                phase = Phase.EpochEnd;
            }
            catch (TerminateSignal)
            {
                Fire(Events.Terminate);
                epochOpen = false;
                phase = Phase.Complete;
            }
            catch (Exception e) when (inDataLoop && e is not OperationCanceledException && HasHandlers(EventKind.ExceptionRaised))
            {
                // ignite/engine/engine.py _run_once_on_dataset_as_gen: a handled exception ends the epoch, not the run.
                (counted, fetched) = (false, false);
                FireExceptionRaised(e);
                phase = Phase.EpochEnd;
            }
        }
    }

    // One phase of the loop; null to go on, true when paused, false when the run finished.
    bool? Step(CancellationToken cancellationToken)
    {
        inDataLoop = phase is >= Phase.GetBatch and <= Phase.AfterIteration;
        switch (phase)
        {
            case Phase.Start:
                Fire(Events.Started);
                return After(Phase.NextEpoch);
            case Phase.NextEpoch:
                if (IsDone()) return Next(Phase.Complete);
                if (!epochOpen) (State.Epoch, State.EpochIteration, epochOpen) = (State.Epoch + 1, 0, true);
                epochStart = Stopwatch.GetTimestamp();
                Fire(Events.EpochStarted);
                return After(Phase.GetBatch);
            case Phase.GetBatch:
                ReleaseIteration();
                if (State.EpochIteration == State.EpochLength) return Next(Phase.EpochEnd);
                if (CanInterrupt?.Invoke(this) ?? true) cancellationToken.ThrowIfCancellationRequested();
                if (lastEvent != Events.DataloaderStopIteration) Fire(Events.GetBatchStarted);
                return After(Phase.Fetch);
            case Phase.Fetch:
                if (!cursor!.TryNext(out var batch)) return Exhausted();
                (State.Batch, fetched, restarted) = (batch, true, false);
                Fire(Events.GetBatchCompleted);
                return After(Phase.Iterate);
            case Phase.Iterate:
                (State.Iteration, State.EpochIteration, counted) = (State.Iteration + 1, State.EpochIteration + 1, true);
                Fire(Events.IterationStarted);
                return After(Phase.Process);
            case Phase.Process:
                State.Output = process(this, State.Batch!);
                (counted, fetched) = (false, false);
                Fire(Events.IterationCompleted);
                return After(Phase.AfterIteration);
            case Phase.AfterIteration:
                if (State.EpochIteration == State.EpochLength) return Next(Phase.EpochEnd);
                if (State.MaxIters is long max && State.Iteration >= max) throw new TerminateSignal();
                return Next(Phase.GetBatch);
            case Phase.EpochEnd:
                State.Times["EPOCH_COMPLETED"] = Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
                epochOpen = false;
                if (terminateEpoch != Stop.SkipEvent) Fire(Events.EpochCompleted);
                State.Times["EPOCH_COMPLETED"] = Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
                // A TerminateEpoch() from an EpochCompleted handler has nothing left to end.
                terminateEpoch = Stop.None;
                return After(Phase.NextEpoch);
            default:
                State.Times["COMPLETED"] = Stopwatch.GetElapsedTime(runStart).TotalSeconds;
                if (terminate != Stop.SkipEvent) Fire(Events.Completed);
                State.Times["COMPLETED"] = Stopwatch.GetElapsedTime(runStart).TotalSeconds;
                // As Ignite drops its data iterator, a later run starts a new pass.
                if (cursor!.Offset > 0) cursor.NextPass();
                phase = Phase.Start;
                return false;
        }
    }

    bool? Exhausted()
    {
        if (State.EpochLength is null)
        {
            if (State.EpochIteration == 0) throw new ArgumentException("The data has no batches; Run needs at least one.", "data");
            State.EpochLength = State.EpochIteration;
            if (State.MaxIters is long iters) State.MaxEpochs = (int)((iters + State.EpochIteration - 1) / State.EpochIteration);
            return Next(Phase.EpochEnd);
        }
        if (restarted)
            throw new InvalidOperationException($"The data ran out of batches at iteration {State.Iteration}, before the epoch's {State.EpochLength}; " +
                "pass data that can be iterated again, or a smaller epochLength.");
        Fire(Events.DataloaderStopIteration);
        cursor!.NextPass();
        restarted = true;
        return After(Phase.GetBatch);
    }

    bool? Next(Phase next)
    {
        phase = next;
        return null;
    }

    // ignite/engine/engine.py _maybe_terminate_or_interrupt, checked after every event.
    bool? After(Phase next)
    {
        phase = next;
        if (terminate != Stop.None) throw new TerminateSignal();
        if (terminateEpoch != Stop.None)
        {
            if (!inDataLoop)
            {
                terminateEpoch = Stop.None;
                throw new InvalidOperationException("TerminateEpoch() cannot be called on Started or EpochStarted; call it from an iteration or batch event.");
            }
            throw new TerminateEpochSignal();
        }
        if (!interrupt) return null;
        interrupt = false;
        Fire(Events.Interrupt);
        return true;
    }

    // An iteration counted but not processed (a stop raised by an IterationStarted handler, e.g. DistributedStop) must
    // not stay in the counters that a checkpoint saved on Interrupt records.
    void Uncount()
    {
        if (counted) (State.Iteration, State.EpochIteration, counted) = (State.Iteration - 1, State.EpochIteration - 1, false);
        if (fetched && cursor is not null) cursor.Seek(cursor.Pass, cursor.Offset - 1);
        fetched = false;
    }

    /// <summary>Replaces the current batch (e.g. with its copy on the device); the engine disposes it like any batch.</summary>
    internal void ReplaceBatch(Batch batch) => State.Batch = batch;

    void ReleaseIteration()
    {
        (State.Output as IDisposable)?.Dispose();
        State.Batch?.Dispose();
        (State.Output, State.Batch) = (null, null);
    }
}
