using System.Diagnostics;
using System.Text.Json;

namespace Unified.Tuning;

public sealed partial class Study
{
    /// <summary>
    /// Runs trials of <paramref name="objective"/> (Optuna's <c>optimize</c>): until <paramref name="nTrials"/> have
    /// run in this call, <paramref name="timeout"/> has passed, <see cref="Stop"/> was called or
    /// <paramref name="cancellationToken"/> is cancelled; <paramref name="nJobs"/> threads run trials at once (-1: one
    /// per CPU). A trial that throws <see cref="TrialPrunedException"/> is pruned; one that throws anything else or
    /// returns NaN is recorded as failed (with its <c>fail_reason</c>) and the study goes on. With a storage that has
    /// heartbeats, each trial first fails the study's stale trials (workers that died), as Optuna does.
    /// <paramref name="callbacks"/> run after each trial with the trial as stored.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled: the running trials are recorded as failed first.</exception>
    public void Optimize(Func<Trial, double> objective, int? nTrials = null, TimeSpan? timeout = null, int nJobs = 1,
        IReadOnlyList<Action<Study, FrozenTrial>>? callbacks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(objective);
        if (nTrials is < 0) throw new ArgumentOutOfRangeException(nameof(nTrials), nTrials, "nTrials must be ≥ 0, or null for no limit.");
        if (nJobs == -1) nJobs = Environment.ProcessorCount;
        if (nJobs < 1) throw new ArgumentOutOfRangeException(nameof(nJobs), nJobs, "nJobs must be ≥ 1, or -1 for one per CPU.");
        stopRequested = false;
        var clock = Stopwatch.StartNew();
        int started = 0;
        bool TakeTrial() =>
            !stopRequested && !cancellationToken.IsCancellationRequested && (timeout is not { } t || clock.Elapsed < t)
            && (nTrials is not { } n || Interlocked.Increment(ref started) <= n);

        void Work()
        {
            while (TakeTrial())
            {
                var trial = RunTrial(objective, cancellationToken);
                foreach (var callback in callbacks ?? []) callback(this, trial);
            }
        }

        if (nJobs == 1)
        {
            Work();
        }
        else
        {
            var workers = Enumerable.Range(0, nJobs).Select(_ => Task.Factory.StartNew(Work, TaskCreationOptions.LongRunning)).ToArray();
            try
            {
                Task.WaitAll(workers);
            }
            catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException))
            {
                throw e.InnerExceptions[0];
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Marks failed the running trials whose workers stopped sending heartbeats longer than the storage's grace
    /// period ago (Optuna's <c>fail_stale_trials</c>); returns their numbers. Optimize calls it before each trial.
    /// </summary>
    public IReadOnlyList<int> FailStaleTrials() => Storage.HeartbeatInterval is null ? [] : Storage.FailStaleTrials(StudyId);

    FrozenTrial RunTrial(Func<Trial, double> objective, CancellationToken cancellationToken)
    {
        FailStaleTrials();
        var trial = Ask();
        using var heartbeat = Heartbeat(trial.TrialId);
        TrialState state;
        double? value = null;
        try
        {
            value = objective(trial);
            state = double.IsNaN(value.Value) ? TrialState.Fail : TrialState.Complete;
            if (state == TrialState.Fail) Storage.SetSystemAttr(trial.TrialId, FailReasonKey, JsonSerializer.Serialize("The objective returned NaN."));
        }
        catch (TrialPrunedException)
        {
            state = TrialState.Pruned;
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            Storage.SetSystemAttr(trial.TrialId, FailReasonKey, JsonSerializer.Serialize("Cancelled: " + e.Message));
            Tell(trial, TrialState.Fail);
            throw;
        }
        catch (Exception e)
        {
            state = TrialState.Fail;
            Storage.SetSystemAttr(trial.TrialId, FailReasonKey, JsonSerializer.Serialize($"{e.GetType().Name}: {e.Message}"));
        }
        return Tell(trial, state, state == TrialState.Complete ? value : null).Trial;
    }

    // A thread that records the running trial's heartbeats, as Optuna's heartbeat thread: not a thread-pool timer, so
    // that a busy pool (or a storage client that completes on it) cannot starve the beats; a storage hiccup is not fatal.
    IDisposable? Heartbeat(long trialId)
    {
        if (Storage.HeartbeatInterval is not { } interval) return null;
        var stop = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            while (!stop.Wait(interval))
            {
                try
                {
                    Storage.RecordHeartbeat(trialId);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The next beat retries; a worker that cannot reach its storage for the grace period loses its trial.
                }
            }
        }) { IsBackground = true, Name = $"heartbeat of trial {trialId}" };
        thread.Start();
        return new HeartbeatStop(stop, thread);
    }

    sealed class HeartbeatStop(ManualResetEventSlim stop, Thread thread) : IDisposable
    {
        public void Dispose()
        {
            stop.Set();
            thread.Join();
            stop.Dispose();
        }
    }
}
