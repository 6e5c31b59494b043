using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.State;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// One fit, as Lightning 2.x's <c>_FitLoop</c> and <c>_TrainingEpochLoop</c> (loops/fit_loop.py,
/// loops/training_epoch_loop.py): fit start, sanity check, train start, epochs (batches, validation, epoch end,
/// epoch schedulers), train end, fit end. Every optimisation step goes through Core's <see cref="StepKernel"/>.
/// </summary>
internal sealed class FitLoop : IDisposable
{
    readonly TrainerOptions options;
    readonly ITrainingModule module;
    readonly IDataModule data;
    readonly DdpStrategy? strategy;
    readonly Device device;
    readonly HookRunner hooks;
    readonly TrainerView view;
    readonly StepKernel kernel;
    readonly StopAgreement? stop;
    readonly FitRecorder recorder;
    readonly TrainingState state;
    readonly LoopProgress loop = new();
    readonly EpochEndProgress epochEnd = new();
    readonly EvaluationLoop evaluation;
    readonly List<EpochResult> history;
    readonly int batches;
    readonly CancellationToken cancellationToken;
    bool resumed;

    public FitLoop(TrainerOptions options, ITrainingModule module, IDataModule data, DdpStrategy? strategy, Device device,
        HookRunner hooks, TrainerView view, List<EpochResult> history, CancellationToken cancellationToken)
    {
        (this.options, this.module, this.data, this.strategy, this.device, this.hooks, this.view, this.history, this.cancellationToken) =
            (options, module, data, strategy, device, hooks, view, history, cancellationToken);
        batches = Math.Min(data.Train.Count, options.LimitTrainBatches ?? int.MaxValue);
        kernel = StepKernel.Create(module, device, options.StepOptions(), strategy is null ? null : strategy.Wrap);
        stop = strategy is null ? null : new StopAgreement(strategy.Group);
        recorder = new FitRecorder(options.RecorderOptions(view.IsGlobalZero));
        evaluation = new EvaluationLoop(hooks, view, device);
        view.LrSchedulerConfigs = [kernel.Optimizers];
        view.Kernel = kernel;
        // Under ddp rank 0 writes each checkpoint and every rank waits until it is durable.
        state = new TrainingState(module, kernel) { ProcessGroup = strategy?.Group ?? SingleProcessGroup.Instance }.Add("loop", loop)
            .Add(EpochEndProgress.PartName, epochEnd, optional: true);
        foreach (var callback in hooks.Callbacks)
            if (callback is IStateful stateful) state.Add(TrainingState.PartName("callback", callback.StateKey), stateful, optional: true);
        state.Add(CheckpointHooks.PartName, new CheckpointHooks(hooks, view), optional: true);
        view.WeightsWriter = WriteWeights;
    }

    public long GlobalStep => kernel.GlobalStep;

    // The weights the optimiser updates (fp32 masters under mixed precision); under ddp rank 0 writes, every rank waits.
    void WriteWeights(string path)
    {
        kernel.Finish();
        var group = state.ProcessGroup;
        if (group.Rank == 0) ModelWeights.ExportSafetensors(module.Network, path);
        if (group.WorldSize > 1) group.Barrier();
    }

    public double CommunicationSeconds => strategy?.Synchronizer?.CommunicationSeconds ?? 0;

    /// <summary>Restores the whole fit from <paramref name="ckptPath"/> (Lightning's <c>fit(ckpt_path=...)</c>).</summary>
    public void Restore(string? ckptPath)
    {
        if (ckptPath is not null) state.Restore(ckptPath);
        resumed = ckptPath is not null;
        view.Progress = new TrainerProgress(loop.Epoch, options.MaxEpochs, loop.BatchesDone, batches, kernel.GlobalStep, view.IsGlobalZero) { Checkpoint = state };
    }

    public void Run()
    {
        recorder.FitStarted(module, kernel, options.MaxEpochs, batches);
        hooks.Connect(kernel);
        try
        {
            hooks.Run(nameof(Callback.OnFitStart), c => c.OnFitStart(view, module), m => m.OnFitStart());
            if (!resumed) SanityCheck();
            hooks.Run(nameof(Callback.OnTrainStart), c => c.OnTrainStart(view, module), m => m.OnTrainStart());
            if (epochEnd.SchedulersPending) StepEpochSchedulers(loop.Epoch - 1);
            (int startEpoch, int startBatch) = (loop.Epoch, loop.BatchesDone);
            for (int epoch = startEpoch; epoch < options.MaxEpochs && !MaxStepsReached && !view.ShouldStop; epoch++)
                TrainEpoch(epoch, epoch == startEpoch ? Math.Min(startBatch, batches) : 0);
            if (history.Count == 0 && loop.Metrics.Count > 0)
                history.Add(new EpochResult(loop.BatchesDone > 0 ? loop.Epoch : loop.Epoch - 1, kernel.GlobalStep, loop.Metrics));
            hooks.Run(nameof(Callback.OnTrainEnd), c => c.OnTrainEnd(view, module), m => m.OnTrainEnd());
            recorder.FitCompleted();
            hooks.Run(nameof(Callback.OnFitEnd), c => c.OnFitEnd(view, module), m => m.OnFitEnd());
        }
        catch (Exception e)
        {
            recorder.FitFailed(e);
            hooks.OnException(e);
            throw;
        }
        finally
        {
            kernel.Finish();
        }
    }

    bool MaxStepsReached => options.MaxSteps is long max && kernel.GlobalStep >= max;

    // A few validation batches before training, so that a broken validation step fails in seconds (Lightning's
    // num_sanity_val_steps); skipped on resume, and what it logged is forgotten.
    void SanityCheck()
    {
        int limit = Math.Min(options.NumSanityValSteps is -1 ? int.MaxValue : options.NumSanityValSteps, options.LimitValBatches ?? int.MaxValue);
        if (data.Validation is not { } validation || limit == 0) return;
        view.SanityChecking = true;
        hooks.Run(nameof(Callback.OnSanityCheckStart), c => c.OnSanityCheckStart(view, module));
        evaluation.Run(EvaluationLoop.Phase.Validation, validation, limit, metrics: null);
        hooks.Run(nameof(Callback.OnSanityCheckEnd), c => c.OnSanityCheckEnd(view, module));
        view.SanityChecking = false;
        module.Logged.Reset();
    }

    void TrainEpoch(int epoch, int first)
    {
        view.Progress = view.Progress with { Epoch = epoch, BatchIndex = first };
        // A fit resumed inside an epoch keeps its restored running means and does not start it again.
        if (first == 0) module.Logged.Reset();
        module.Network.train();
        recorder.EpochStarted(epoch);
        if (first == 0) hooks.Run(nameof(Callback.OnTrainEpochStart), c => c.OnTrainEpochStart(view, module), m => m.OnTrainEpochStart());
        var (done, endedByModule) = TrainBatches(epoch, first);
        if (stop?.Complete() == true) throw new OperationCanceledException(cancellationToken);
        EndEpoch(epoch, done, endedByModule);
    }

    (int Done, bool EndedByModule) TrainBatches(int epoch, int first)
    {
        bool batchStart = hooks.HasTrainBatchStart, batchEnd = hooks.HasTrainBatchEnd;
        int index = first;
        foreach (var raw in data.Train.Epoch(epoch, first))
        {
            // Own the batch before checking, so that a cancelled fit does not leak it.
            using var batch = raw.MoveTo(device);
            if (index >= batches) break;
            // Only at optimiser-step boundaries, so that a stop leaves no half-accumulated gradients behind.
            if (kernel.AtStepBoundary) ThrowIfStopping();
            int i = index;
            if (batchStart && hooks.OnTrainBatchStart(batch, i) == -1) return (index, true);
            index++;
            long start = FitRecorder.StepStarting();
            using var loss = kernel.Step(() => module.TrainingStep(batch, i), isLastInEpoch: index == batches);
            recorder.StepCompleted(start, loss, batch.Size, kernel.GlobalStep);
            (loop.BatchesDone, loop.GlobalStep) = (index, kernel.GlobalStep);
            view.Progress = view.Progress with { BatchIndex = i, GlobalStep = kernel.GlobalStep };
            if (batchEnd) hooks.OnTrainBatchEnd(loss, batch, i);
            if (MaxStepsReached || view.ShouldStop) break;
        }
        return (index, false);
    }

    // A fit stopped mid-epoch (max steps, ShouldStop) still shows the epoch's end (validation, logging, epoch hooks, so
    // ModelCheckpoint writes last.ckpt) but records where it stopped, and leaves what the epoch's real end does once
    // (epoch schedulers, the training means) to a resumed fit. Lightning steps epoch schedulers only when the epoch's
    // batches are all done (fit_loop.py, _num_ready_batches_reached), and after on_train_epoch_end.
    void EndEpoch(int epoch, int done, bool endedByModule)
    {
        bool allBatches = done >= batches, finished = allBatches || endedByModule;
        using var trainingMeans = finished ? null : LoggedSnapshot.Take(module.Logged);
        Validate(epoch);
        var result = new EpochResult(epoch, kernel.GlobalStep, Metrics());
        trainingMeans?.Restore(module.Logged);
        history.Add(result);
        recorder.EpochCompleted(result);
        view.CallbackMetrics = result.Metrics;
        (loop.Epoch, loop.BatchesDone, loop.GlobalStep) = finished ? (epoch + 1, 0, kernel.GlobalStep) : (epoch, done, kernel.GlobalStep);
        loop.Metrics = result.Metrics;
        epochEnd.SchedulersPending = allBatches;
        hooks.OnTrainEpochEnd();
        if (allBatches) StepEpochSchedulers(epoch);
    }

    void Validate(int epoch)
    {
        if (data.Validation is not { } validation || options.LimitValBatches == 0) return;
        using var span = recorder.BeginValidation(epoch);
        evaluation.Run(EvaluationLoop.Phase.Validation, validation, options.LimitValBatches ?? int.MaxValue, Metrics);
    }

    IReadOnlyDictionary<string, double> Metrics() => strategy?.Reduce(module.Logged) ?? module.Logged.Compute();

    void StepEpochSchedulers(int epoch)
    {
        kernel.EpochEnd(epoch);
        epochEnd.SchedulersPending = false;
    }

    // Under ddp the ranks agree on a stop (one batch later) so that none is left waiting in a collective.
    void ThrowIfStopping()
    {
        if (stop is null) cancellationToken.ThrowIfCancellationRequested();
        else if (stop.Poll(cancellationToken.IsCancellationRequested)) throw new OperationCanceledException(cancellationToken);
    }

    public void Dispose()
    {
        HookRunner.Disconnect(kernel);
        recorder.Dispose();
        stop?.Dispose();
        kernel.Dispose();
    }
}
