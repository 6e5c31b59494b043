using TorchSharp;
using Unified.Core.Accelerators;
using Unified.Core.Data;
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

    /// <summary>Trains <paramref name="module"/> on <paramref name="data"/>, validating after every epoch.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (checked between batches).</exception>
    public void Fit(ITrainingModule module, IDataModule data, CancellationToken cancellationToken = default)
    {
        TorchRuntime.Initialize();
        if (options.Seed is long seed) Seed.Everything(seed);
        var device = Accelerator.Resolve(options.Accelerator).Device;
        using var kernel = StepKernel.Create(module, device, options.StepOptions());
        var lightning = module as LightningModule;
        int batches = data.Train.Count;
        history.Clear();
        GlobalStep = 0;

        var progress = new TrainerProgress(0, options.MaxEpochs, 0, batches, 0);
        lightning?.OnFitStart();
        Each(c => c.OnFitStart(progress, module));
        try
        {
            for (int epoch = 0; epoch < options.MaxEpochs; epoch++)
            {
                progress = progress with { Epoch = epoch, BatchIndex = 0 };
                module.Logged.Reset();
                module.Network.train();
                lightning?.OnTrainEpochStart(epoch);
                Each(c => c.OnTrainEpochStart(progress, module));

                int index = 0;
                foreach (var raw in data.Train.Epoch(epoch))
                {
                    // Own the batch before checking, so that a cancelled fit does not leak it.
                    using var batch = raw.MoveTo(device);
                    cancellationToken.ThrowIfCancellationRequested();
                    int i = index++;
                    using var loss = kernel.Step(() => module.TrainingStep(batch, i), isLastInEpoch: index == batches);
                    progress = progress with { BatchIndex = i, GlobalStep = GlobalStep = kernel.GlobalStep };
                    foreach (var callback in options.Callbacks) callback.OnTrainBatchEnd(progress, module, loss, batch.Size);
                }
                kernel.EpochEnd(epoch);
                Validate(module, data.Validation, device);

                var result = new EpochResult(epoch, kernel.GlobalStep, module.Logged.Compute());
                history.Add(result);
                lightning?.OnTrainEpochEnd(result);
                Each(c => c.OnTrainEpochEnd(progress, module, result));
            }
        }
        finally
        {
            kernel.Finish();
            lightning?.OnFitEnd();
            Each(c => c.OnFitEnd(progress, module));
        }
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
