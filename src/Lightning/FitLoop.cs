using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Diagnostics;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Models;
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
    readonly int batches, valBatches, valCheck;
    readonly HashSet<string> validationNames = new(StringComparer.Ordinal);
    readonly System.Diagnostics.Stopwatch clock = new();
    readonly CancellationToken cancellationToken;
    readonly OptimizerConfig? plateau;
    readonly Func<IReadOnlyDictionary<string, double>> stepMetrics;
    readonly bool manual;
    bool resumed, layoutChecked;
    int epochsRun;

    public FitLoop(TrainerOptions options, ITrainingModule module, IDataModule data, DdpStrategy? strategy, Device device,
        HookRunner hooks, TrainerView view, List<EpochResult> history, CancellationToken cancellationToken)
    {
        (this.options, this.module, this.data, this.strategy, this.device, this.hooks, this.view, this.history, this.cancellationToken) =
            (options, module, data, strategy, device, hooks, view, history, cancellationToken);
        manual = module is LightningModule { AutomaticOptimization: false };
        if (manual) ThrowIfUnsupportedByManualOptimization(options);
        if (data.Train.Count == 0) throw new InvalidOperationException("The training loader has no batches; check the data module's training split (and its batch size).");
        batches = options.TrainBatches(data.Train.Count);
        valBatches = data.Validation is { } validation ? options.ValBatches(validation.Count) : 0;
        // A check every valCheck batches; the epoch's end validates when its last batch is one (training_epoch_loop.py _should_check_val_fx).
        valCheck = Math.Max(1, options.ValCheckInterval.Count is int every ? Math.Min(every, batches) : options.ValCheckInterval.Of(batches, nameof(options.ValCheckInterval)));
        kernel = StepKernel.Create(module, device, options.StepOptions(), strategy is null ? null : strategy.Wrap);
        ThrowIfSeveralOptimizersUnderAutomaticOptimization();
        stop = strategy is null ? null : new StopAgreement(strategy.Group);
        recorder = new FitRecorder(options.RecorderOptions(view.IsGlobalZero));
        evaluation = new EvaluationLoop(hooks, view, device);
        view.LrSchedulerConfigs = kernel.OptimizerConfigs;
        plateau = kernel.Optimizers.ReducesOnPlateau && !manual ? kernel.Optimizers : null;
        stepMetrics = StepMetrics;
        view.Kernel = kernel;
        // Under ddp rank 0 writes each checkpoint and every rank waits until it is durable.
        state = new TrainingState(module, kernel)
        {
            ProcessGroup = strategy?.Group ?? SingleProcessGroup.Instance,
            WriteQueue = options.AsyncCheckpointing ? new CheckpointWriteQueue() : null,
        }.Add("loop", loop)
            .Add(EpochEndProgress.PartName, epochEnd, optional: true);
        foreach (var callback in hooks.Callbacks)
        {
            if (callback is IStateful stateful) state.Add(TrainingState.PartName("callback", callback.StateKey), stateful, optional: true);
            if (callback is EMAWeightAveraging averaging) state.Wrap(CheckpointKeys.ModelPart, model => averaging.ModelPart(model, module));
        }
        // The data module's state after the callbacks' (Lightning's checkpoint_connector dump_checkpoint).
        if (data is LightningDataModule dataModule) state.Add(LightningDataModule.PartName, dataModule, optional: true);
        state.Add(CheckpointHooks.PartName, new CheckpointHooks(hooks, view), optional: true);
        view.WeightsWriter = WriteWeights;
    }

    public long GlobalStep => kernel.GlobalStep;

    /// <summary>The step the loggers saw last (Lightning's <c>_batches_that_stepped</c>).</summary>
    public long LoggingStep => loop.BatchesThatStepped;

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
        view.Progress = new TrainerProgress(loop.Epoch, options.EffectiveMaxEpochs, loop.BatchesDone, batches, kernel.GlobalStep, view.IsGlobalZero)
            { Checkpoint = state, BatchesThatStepped = loop.BatchesThatStepped };
    }

    public void Run()
    {
        recorder.FitStarted(module, kernel, options.EffectiveMaxEpochs, batches);
        clock.Start();
        hooks.Connect(kernel);
        try
        {
            hooks.Run(nameof(Callback.OnFitStart), c => c.OnFitStart(view, module), m => m.OnFitStart());
            if (!resumed) SanityCheck();
            hooks.Run(nameof(Callback.OnTrainStart), c => c.OnTrainStart(view, module), m => m.OnTrainStart());
            if (epochEnd.SchedulersPending) StepPendingSchedulers(loop.Epoch - 1);
            (int startEpoch, int startBatch) = (loop.Epoch, loop.BatchesDone);
            for (int epoch = startEpoch; epoch < options.EffectiveMaxEpochs && !MaxStepsReached && !Stopping(epoch); epoch++)
                TrainEpoch(epoch, epoch == startEpoch ? Math.Min(startBatch, batches) : 0);
            if (history.Count == 0 && loop.Metrics.Count > 0)
                history.Add(new EpochResult(loop.BatchesDone > 0 ? loop.Epoch : loop.Epoch - 1, kernel.GlobalStep, loop.Metrics));
            // From on_train_end on, current_epoch counts the epochs run, a stopped one included (fit_loop.py
            // on_advance_end increments epoch_progress.completed however the epoch ended): max_epochs after a full fit.
            if (epochsRun > 0) view.Progress = view.Progress with { Epoch = view.Progress.Epoch + 1 };
            hooks.Run(nameof(Callback.OnTrainEnd), c => c.OnTrainEnd(view, module), m => m.OnTrainEnd());
            recorder.FitCompleted();
            hooks.Run(nameof(Callback.OnFitEnd), c => c.OnFitEnd(view, module), m => m.OnFitEnd());
        }
        catch (Exception e)
        {
            recorder.FitFailed(e);
            hooks.OnException(e);
            FlushAfterFailure();
            throw;
        }
        finally
        {
            kernel.Finish();
        }
        // The fit's files are durable before Fit returns (and before a later Validate/Test reads "best" or "last").
        state.WriteQueue?.Dispose();
    }

    // The fit's own exception is the one to report; a background write that also failed is a warning beside it.
    void FlushAfterFailure()
    {
        try
        {
            state.WriteQueue?.Dispose();
        }
        catch (CheckpointWriteException e)
        {
            Warnings.Warn(e.Message);
        }
    }

    InvalidOperationException NoLoss(int batchIndex) => new(manual
        ? $"{module.GetType().Name}.TrainingStep returned null at batch {batchIndex}; under manual optimisation return the loss (it is logged, not differentiated)."
        : $"{module.GetType().Name}.TrainingStep returned null at batch {batchIndex}; under automatic optimisation it must return the scalar loss to differentiate.");

    // Lightning's configuration_validator.py __verify_manual_optimization_support: the module accumulates and clips itself.
    static void ThrowIfUnsupportedByManualOptimization(TrainerOptions options)
    {
        if (options.GradientClipVal is > 0)
            throw new InvalidOperationException($"Automatic gradient clipping is not supported for manual optimization: remove TrainerOptions.GradientClipVal = {options.GradientClipVal} " +
                "and call ClipGradients(optimizer, value) in TrainingStep, or switch to automatic optimization.");
        if (options.AccumulateGradBatches != 1)
            throw new InvalidOperationException($"Automatic gradient accumulation is not supported for manual optimization: remove TrainerOptions.AccumulateGradBatches = {options.AccumulateGradBatches} " +
                "and step every N batches in TrainingStep, or switch to automatic optimization.");
    }

    // Lightning's core/optimizer.py _validate_multiple_optimizers_support, at fit start.
    void ThrowIfSeveralOptimizersUnderAutomaticOptimization()
    {
        if (manual || kernel.OptimizerConfigs.Count == 1) return;
        kernel.Dispose();
        throw new InvalidOperationException("Training with multiple optimizers is only supported with manual optimization. Set `AutomaticOptimization = false` " +
            $"in {module.GetType().Name}'s constructor, then access your optimizers in `TrainingStep` with `Optimizers(0)`, `Optimizers(1)`, ... .");
    }

    bool MaxStepsReached => options.EffectiveMaxSteps is long max && kernel.GlobalStep >= max;

    // A stop request (a callback's ShouldStop, MaxTime) ends the fit once MinEpochs and MinSteps are met (fit_loop.py
    // _can_stop_early); epochsDone is the number of epochs completed.
    bool Stopping(int epochsDone) => view.ShouldStop && epochsDone >= (options.MinEpochs ?? 0) && kernel.GlobalStep >= (options.MinSteps ?? 0);

    // A few validation batches before training, so that a broken validation step fails in seconds (Lightning's
    // num_sanity_val_steps); skipped on resume, and what it logged is forgotten.
    void SanityCheck()
    {
        int limit = Math.Min(options.SanityValSteps is -1 ? int.MaxValue : options.SanityValSteps, valBatches);
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
        epochsRun++;
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
        var lightning = hooks.Lightning;
        int index = first;
        // Overfitting repeats the first epoch's batches in its order (Lightning's overfit_batches uses a sequential sampler).
        foreach (var raw in data.Train.Epoch(options.OverfitBatches is null ? epoch : 0, first))
        {
            // Own the batch before checking, so that a cancelled fit does not leak it.
            using var batch = raw.MoveTo(device);
            if (index >= batches) break;
            // Only at optimiser-step boundaries, so that a stop leaves no half-accumulated gradients behind.
            if (kernel.AtStepBoundary) ThrowIfStopping();
            int i = index;
            // A CNN given flat rows (or an MLP images) fails here with the fix, not inside Conv2d.
            if (!layoutChecked)
            {
                InputLayoutCheck.ThrowIfMismatched(module.Network, batch.Input);
                layoutChecked = true;
            }
            if (lightning is not null) (lightning.InTrainingBatch, lightning.CurrentBatchSize) = (true, batch.Size);
            if (batchStart && hooks.OnTrainBatchStart(batch, i) == -1)
            {
                lightning!.InTrainingBatch = false;
                if (!manual) kernel.EpochEnd(epoch);
                return (index, true);
            }
            index++;
            long start = FitRecorder.StepStarting(), stepsBefore = kernel.GlobalStep;
            // Under manual optimisation the module steps (loops/optimization/manual.py) and its schedulers by hand.
            using var loss = manual ? kernel.ManualStep(() => module.TrainingStep(batch, i) ?? throw NoLoss(i))
                : kernel.Step(() => module.TrainingStep(batch, i) ?? throw NoLoss(i), isLastInEpoch: index == batches, batchIndex: i);
            // Lightning steps the epoch's schedulers with its last batch, before on_train_batch_end and validation
            // (training_epoch_loop.py advance: update_lr_schedulers("epoch", update_plateau_schedulers=False)).
            if (index == batches && !manual) kernel.EpochEnd(epoch);
            // Lightning logs at _batches_that_stepped: one per batch that stepped, however many optimisers it stepped.
            if (kernel.GlobalStep > stepsBefore) loop.BatchesThatStepped++;
            recorder.StepCompleted(start, loss, batch.Size, kernel.GlobalStep, stepMetrics, loop.BatchesThatStepped);
            (loop.BatchesDone, loop.GlobalStep) = (index, kernel.GlobalStep);
            view.Progress = view.Progress with { BatchIndex = i, GlobalStep = kernel.GlobalStep, BatchesThatStepped = loop.BatchesThatStepped };
            // The step's logged values are in the callback metrics from on_train_batch_end on (logger_connector.py
            // callback_metrics reads the results lazily).
            view.StepEnded(module.Logged);
            if (batchEnd) hooks.OnTrainBatchEnd(loss, batch, i);
            if (lightning is not null) (lightning.InTrainingBatch, lightning.CurrentBatchSize) = (false, 1);
            if (kernel.AtStepBoundary && plateau is { Interval: SchedulerInterval.Step }) plateau.StepOnPlateau(SchedulerInterval.Step, i, view.CallbackMetrics);
            if (index % valCheck == 0 && index < batches && ValidatesIn(epoch)) Validate(epoch);
            // Lightning's max_time is a Timer callback that checks after every training batch.
            if (options.MaxTime is { } maxTime && clock.Elapsed >= maxTime) view.ShouldStop = true;
            if (MaxStepsReached || Stopping(epoch)) break;
        }
        return (index, false);
    }

    // A fit stopped mid-epoch (max steps, ShouldStop) still shows the epoch's end (validation, logging, epoch hooks, so
    // ModelCheckpoint writes last.ckpt) but records where it stopped, and leaves what the epoch's real end does once
    // (plateau schedulers, the training means) to a resumed fit. Lightning steps plateau schedulers only when the
    // epoch's batches are done, after on_train_epoch_end, on the callback metrics (fit_loop.py on_advance_end).
    void EndEpoch(int epoch, int done, bool endedByModule)
    {
        bool allBatches = done >= batches, finished = allBatches || endedByModule;
        using var trainingMeans = finished ? null : LoggedSnapshot.Take(module.Logged);
        if (ValidatesIn(epoch) && (batches % valCheck == 0 || done < batches)) Validate(epoch);
        var values = Metrics();
        var result = new EpochResult(epoch, kernel.GlobalStep, values.Callback);
        trainingMeans?.Restore(module.Logged);
        history.Add(result);
        recorder.EpochCompleted(result with { Metrics = values.Logged }, loop.BatchesThatStepped);
        view.Update(values);
        (loop.Epoch, loop.BatchesDone, loop.GlobalStep) = finished ? (epoch + 1, 0, kernel.GlobalStep) : (epoch, done, kernel.GlobalStep);
        loop.Metrics = result.Metrics;
        hooks.OnTrainEpochEnd();
        if (finished) plateau?.StepOnPlateau(SchedulerInterval.Epoch, epoch, view.CallbackMetrics);
    }

    bool ValidatesIn(int epoch) => data.Validation is not null && valBatches > 0 && (epoch + 1) % options.CheckValEveryNEpoch == 0;

    // What a validation run logged is forgotten before the next run, so that each run's values are its own. Its
    // per-step values (only the names it logged, not training's) reach the loggers after every batch.
    void Validate(int epoch)
    {
        module.Logged.Forget(validationNames);
        var before = module.Logged.Names.ToHashSet(StringComparer.Ordinal);
        var log = recorder.Evaluation;
        using (recorder.BeginValidation(epoch))
            evaluation.Run(EvaluationLoop.Phase.Validation, data.Validation!, valBatches, Metrics,
                () => log.BatchCompleted(() => module.Logged.ComputeStep(name => !before.Contains(name)).Logged));
        validationNames.UnionWith(module.Logged.Names.Where(n => !before.Contains(n)));
    }


    LoggedValues Metrics() => module.Logged.ComputeEpoch(strategy?.Group);

    // What the module logged per step goes to the loggers with the step's loss, every LogEveryNSteps steps.
    IReadOnlyDictionary<string, double> StepMetrics() => module.Logged.ComputeStep().Logged;

    // Checkpoints written before the epoch's schedulers stepped at its last batch (older files) step them on resume.
    void StepPendingSchedulers(int epoch)
    {
        if (!manual) kernel.EpochEnd(epoch);
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
