using TorchSharp;
using Unified.Core.Accelerators;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Runtime;
using Unified.Core.State;
using Unified.Core.Training;

namespace Unified.Lightning;

/// <summary>
/// Runs a module's training and validation, as Lightning's <c>Trainer</c>: the module says what a step is, the
/// trainer owns how the loop runs. Every optimisation step goes through Core's <see cref="StepKernel"/>.
/// </summary>
/// <example><code>
/// var trainer = new Trainer(new TrainerOptions { MaxEpochs = 3, Accelerator = "cpu" });
/// trainer.Fit(new LitMlp(), new DigitsDataModule());
/// </code></example>
public sealed class Trainer
{
    readonly TrainerOptions options;
    readonly List<EpochResult> history = [];

    /// <summary>Creates a trainer; options are validated here.</summary>
    public Trainer(TrainerOptions? options = null)
    {
        this.options = options ?? new TrainerOptions();
        this.options.Validate();
    }

    /// <summary>One entry per finished epoch.</summary>
    public IReadOnlyList<EpochResult> History => history;

    /// <summary>The last epoch's logged means (Lightning's <c>callback_metrics</c>).</summary>
    public IReadOnlyDictionary<string, double> CallbackMetrics => history.Count > 0 ? history[^1].Metrics : new Dictionary<string, double>();

    /// <summary>Optimiser steps taken by the last fit.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>Whether this process is rank 0 of the last fit (Lightning's <c>is_global_zero</c>); true without data parallelism.</summary>
    public bool IsGlobalZero { get; private set; } = true;

    /// <summary>Processes of the last fit (1 without data parallelism).</summary>
    public int WorldSize { get; private set; } = 1;

    /// <summary>Seconds the last fit spent averaging gradients across ranks (0 without data parallelism).</summary>
    public double CommunicationSeconds { get; private set; }

    /// <summary>
    /// Trains <paramref name="module"/> on <paramref name="data"/>, validating after every epoch. With
    /// <paramref name="ckptPath"/>, first restores the whole fit from that checkpoint (weights, optimiser, scheduler, RNG,
    /// loop progress, callback states) and continues exactly where it was saved, mid-epoch included, up to
    /// <see cref="TrainerOptions.MaxEpochs"/> (Lightning's <c>trainer.fit(model, ckpt_path=...)</c>). Under the
    /// <c>ddp</c> strategy every rank calls it: each trains on its shard, and a failure on one rank is reported and
    /// ends every rank (non-zero exit) instead of leaving the others waiting.
    /// </summary>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled (checked between batches at optimiser-step boundaries; under
    /// <c>ddp</c> every rank stops at the same batch); callbacks saw it in <see cref="Callback.OnException"/> first
    /// (<see cref="ModelCheckpoint"/> saves a resumable checkpoint).
    /// </exception>
    public void Fit(ITrainingModule module, IDataModule data, string? ckptPath = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(data);
        TorchRuntime.Initialize();
        using var strategy = DdpStrategy.Resolve(options.Strategy, options.Devices, options.NumNodes, options.DdpOptions());
        (IsGlobalZero, WorldSize, CommunicationSeconds) = (strategy?.IsGlobalZero ?? true, strategy?.Group.WorldSize ?? 1, 0);
        try
        {
            FitLoop(module, strategy is null ? data : strategy.Shard(data), strategy, ckptPath, cancellationToken);
        }
        catch (Exception e) when (strategy is { Group.WorldSize: > 1 } && e is not OperationCanceledException)
        {
            strategy.Abort(e, Console.Error);
        }
    }

    /// <summary>Trains from scratch, cancellable between batches.</summary>
    public void Fit(ITrainingModule module, IDataModule data, CancellationToken cancellationToken) => Fit(module, data, null, cancellationToken);

    void FitLoop(ITrainingModule module, IDataModule data, DdpStrategy? strategy, string? ckptPath, CancellationToken cancellationToken)
    {
        if (options.Seed is long seed) Seed.Everything(seed);
        var device = Accelerator.Resolve(options.Accelerator).Device;
        if (strategy is not null) device = strategy.DeviceFor(device);
        using var kernel = StepKernel.Create(module, device, options.StepOptions(), strategy is null ? null : strategy.Wrap);
        using var stop = strategy is null ? null : new StopAgreement(strategy.Group);
        using var recorder = new FitRecorder(options.RecorderOptions(IsGlobalZero));
        var lightning = module as LightningModule;
        int batches = data.Train.Count;
        history.Clear();

        var loop = new LoopProgress();
        // Under ddp rank 0 writes each checkpoint and every rank waits until it is durable.
        var state = new TrainingState(module, kernel) { ProcessGroup = strategy?.Group ?? SingleProcessGroup.Instance }.Add("loop", loop);
        foreach (var callback in options.Callbacks)
            if (callback is IStateful stateful) state.Add(TrainingState.PartName("callback", callback.StateKey), stateful, optional: true);
        if (ckptPath is not null) state.Restore(ckptPath);
        GlobalStep = kernel.GlobalStep;
        (int startEpoch, int startBatch) = (loop.Epoch, loop.BatchesDone);

        var progress = new TrainerProgress(startEpoch, options.MaxEpochs, startBatch, batches, GlobalStep, IsGlobalZero) { Checkpoint = state };
        recorder.FitStarted(module, kernel, options.MaxEpochs, batches);
        try
        {
            // Inside the try, so that a failing OnFitStart still finishes the loggers as failed.
            lightning?.OnFitStart();
            Each(c => c.OnFitStart(progress, module));
            for (int epoch = startEpoch; epoch < options.MaxEpochs && !MaxStepsReached(kernel); epoch++)
            {
                int first = epoch == startEpoch ? Math.Min(startBatch, batches) : 0;
                progress = progress with { Epoch = epoch, BatchIndex = first };
                // A resumed epoch keeps the running means restored from the checkpoint.
                if (first == 0) module.Logged.Reset();
                module.Network.train();
                recorder.EpochStarted(epoch);
                lightning?.OnTrainEpochStart(epoch);
                Each(c => c.OnTrainEpochStart(progress, module));

                int index = first;
                foreach (var raw in data.Train.Epoch(epoch, first))
                {
                    // Own the batch before checking, so that a cancelled fit does not leak it.
                    using var batch = raw.MoveTo(device);
                    // Only at optimiser-step boundaries, so that a stop leaves no half-accumulated gradients behind.
                    if (kernel.AtStepBoundary) ThrowIfStopping(stop, cancellationToken);
                    int i = index++;
                    long start = FitRecorder.StepStarting();
                    using var loss = kernel.Step(() => module.TrainingStep(batch, i), isLastInEpoch: index == batches);
                    recorder.StepCompleted(start, loss, batch.Size, kernel.GlobalStep);
                    (loop.BatchesDone, loop.GlobalStep) = (index, kernel.GlobalStep);
                    progress = progress with { BatchIndex = i, GlobalStep = GlobalStep = kernel.GlobalStep };
                    foreach (var callback in options.Callbacks) callback.OnTrainBatchEnd(progress, module, loss, batch.Size);
                    if (MaxStepsReached(kernel)) break;
                }
                if (stop?.Complete() == true) throw new OperationCanceledException(cancellationToken);
                // Max steps reached mid-epoch: the user still sees the epoch's end (validation, logging, callbacks, so
                // ModelCheckpoint writes last.ckpt), but the loop records where it stopped and leaves what the epoch's
                // real end does once (the epoch scheduler, the training means) to a resumed fit (Lightning's
                // fit_loop steps epoch schedulers only when the epoch's batches are all done).
                bool complete = index >= batches;
                if (complete) kernel.EpochEnd(epoch);
                using var trainingMeans = complete ? null : LoggedSnapshot.Take(module.Logged);
                using (recorder.BeginValidation(epoch)) Validate(module, data.Validation, device);

                var result = new EpochResult(epoch, kernel.GlobalStep, strategy?.Reduce(module.Logged) ?? module.Logged.Compute());
                trainingMeans?.Restore(module.Logged);
                CommunicationSeconds = strategy?.Synchronizer?.CommunicationSeconds ?? 0;
                history.Add(result);
                recorder.EpochCompleted(result);
                (loop.Epoch, loop.BatchesDone, loop.GlobalStep) = complete ? (epoch + 1, 0, kernel.GlobalStep) : (epoch, index, kernel.GlobalStep);
                loop.Metrics = result.Metrics;
                lightning?.OnTrainEpochEnd(result);
                Each(c => c.OnTrainEpochEnd(progress, module, result));
            }
            if (history.Count == 0 && loop.Metrics.Count > 0) history.Add(new EpochResult(loop.BatchesDone > 0 ? loop.Epoch : loop.Epoch - 1, kernel.GlobalStep, loop.Metrics));
            recorder.FitCompleted();
        }
        catch (Exception e)
        {
            recorder.FitFailed(e);
            Each(c => c.OnException(progress, module, e));
            throw;
        }
        finally
        {
            kernel.Finish();
            lightning?.OnFitEnd();
            Each(c => c.OnFitEnd(progress, module));
        }
    }

    bool MaxStepsReached(StepKernel kernel) => options.MaxSteps is long max && kernel.GlobalStep >= max;

    // Under ddp the ranks agree on a stop (one batch later) so that none is left waiting in a collective.
    static void ThrowIfStopping(StopAgreement? stop, CancellationToken cancellationToken)
    {
        if (stop is null) cancellationToken.ThrowIfCancellationRequested();
        else if (stop.Poll(cancellationToken.IsCancellationRequested)) throw new OperationCanceledException(cancellationToken);
    }

    void Validate(ITrainingModule module, IBatchLoader? loader, TorchSharp.torch.Device device)
    {
        if (loader is null || options.LimitValBatches == 0) return;
        module.Network.eval();
        int limit = options.LimitValBatches ?? int.MaxValue, index = 0;
        foreach (var raw in loader.Epoch(0))
        {
            using var batch = raw.MoveTo(device);
            if (index >= limit) break;
            EvaluationStep.Run(module, batch, index++);
        }
        module.Network.train();
    }

    void Each(Action<Callback> hook)
    {
        foreach (var callback in options.Callbacks) hook(callback);
    }
}
