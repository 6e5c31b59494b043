using TorchSharp;
using Unified.Core.Accelerators;
using Unified.Core.Data;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Runtime;
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
    /// Trains <paramref name="module"/> on <paramref name="data"/>, validating after every epoch. Under the <c>ddp</c>
    /// strategy every rank calls it: each trains on its shard, and a failure on one rank is reported and ends every
    /// rank (non-zero exit) instead of leaving the others waiting.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (checked between batches; under <c>ddp</c> every rank stops at the same batch).</exception>
    public void Fit(ITrainingModule module, IDataModule data, CancellationToken cancellationToken = default)
    {
        TorchRuntime.Initialize();
        using var strategy = DdpStrategy.Resolve(options.Strategy, options.Devices, options.NumNodes, options.DdpOptions());
        (IsGlobalZero, WorldSize, CommunicationSeconds) = (strategy?.IsGlobalZero ?? true, strategy?.Group.WorldSize ?? 1, 0);
        try
        {
            FitLoop(module, strategy is null ? data : strategy.Shard(data), strategy, cancellationToken);
        }
        catch (Exception e) when (strategy is { Group.WorldSize: > 1 } && e is not OperationCanceledException)
        {
            strategy.Abort(e, Console.Error);
        }
    }

    void FitLoop(ITrainingModule module, IDataModule data, DdpStrategy? strategy, CancellationToken cancellationToken)
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
        GlobalStep = 0;

        var progress = new TrainerProgress(0, options.MaxEpochs, 0, batches, 0, IsGlobalZero);
        recorder.FitStarted(module, kernel, options.MaxEpochs, batches);
        lightning?.OnFitStart();
        Each(c => c.OnFitStart(progress, module));
        try
        {
            for (int epoch = 0; epoch < options.MaxEpochs; epoch++)
            {
                progress = progress with { Epoch = epoch, BatchIndex = 0 };
                module.Logged.Reset();
                module.Network.train();
                recorder.EpochStarted(epoch);
                lightning?.OnTrainEpochStart(epoch);
                Each(c => c.OnTrainEpochStart(progress, module));

                int index = 0;
                foreach (var raw in data.Train.Epoch(epoch))
                {
                    // Own the batch before checking, so that a cancelled fit does not leak it.
                    using var batch = raw.MoveTo(device);
                    ThrowIfStopping(stop, cancellationToken);
                    int i = index++;
                    long start = FitRecorder.StepStarting();
                    using var loss = kernel.Step(() => module.TrainingStep(batch, i), isLastInEpoch: index == batches);
                    recorder.StepCompleted(start, loss, batch.Size, kernel.GlobalStep);
                    progress = progress with { BatchIndex = i, GlobalStep = GlobalStep = kernel.GlobalStep };
                    foreach (var callback in options.Callbacks) callback.OnTrainBatchEnd(progress, module, loss, batch.Size);
                }
                if (stop?.Complete() == true) throw new OperationCanceledException(cancellationToken);
                kernel.EpochEnd(epoch);
                using (recorder.BeginValidation(epoch)) Validate(module, data.Validation, device);

                var result = new EpochResult(epoch, kernel.GlobalStep, strategy?.Reduce(module.Logged) ?? module.Logged.Compute());
                CommunicationSeconds = strategy?.Synchronizer?.CommunicationSeconds ?? 0;
                history.Add(result);
                recorder.EpochCompleted(result);
                lightning?.OnTrainEpochEnd(result);
                Each(c => c.OnTrainEpochEnd(progress, module, result));
            }
            recorder.FitCompleted();
        }
        catch (Exception e)
        {
            recorder.FitFailed(e);
            throw;
        }
        finally
        {
            kernel.Finish();
            lightning?.OnFitEnd();
            Each(c => c.OnFitEnd(progress, module));
        }
    }

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
