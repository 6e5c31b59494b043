using TorchSharp;
using Unified.Core.Accelerators;
using Unified.Core.Data;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Runtime;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Runs a module's training, validation, test and prediction, as Lightning's <c>Trainer</c>: the module says what a
/// step is, the trainer owns how the loops run, calling Lightning 2.x's hooks in its order (callbacks before the
/// module). Every optimisation step goes through Core's <see cref="StepKernel"/>.
/// </summary>
/// <example><code>
/// var trainer = new Trainer(new TrainerOptions { MaxEpochs = 3, Accelerator = "cpu" });
/// trainer.Fit(new LitMlp(), new DigitsDataModule());
/// var metrics = trainer.Test(module, data, ckptPath: "best");
/// </code></example>
public sealed partial class Trainer
{
    readonly TrainerOptions options;
    readonly List<EpochResult> history = [];
    TrainerView? view;
    ModelCheckpoint? defaultCheckpoint;
    int running, fitEpoch;
    long fitLoggingStep;

    /// <summary>Creates a trainer; options are validated here.</summary>
    public Trainer(TrainerOptions? options = null)
    {
        this.options = options ?? new TrainerOptions();
        this.options.Validate();
    }

    /// <summary>One entry per epoch of the last fit (an epoch stopped early by max steps included).</summary>
    public IReadOnlyList<EpochResult> History => history;

    /// <summary>Every value the last entry point logged, latest first (Lightning's <c>callback_metrics</c>): epoch values, and per-step values of the last training batch.</summary>
    public IReadOnlyDictionary<string, double> CallbackMetrics => view?.CallbackMetrics ?? new Dictionary<string, double>();

    /// <summary>The values last sent to the loggers, <c>_step</c>/<c>_epoch</c> suffixed when logged both ways (Lightning's <c>logged_metrics</c>).</summary>
    public IReadOnlyDictionary<string, double> LoggedMetrics => view?.LoggedMetrics ?? new Dictionary<string, double>();

    /// <summary>The values logged with <c>progressBar: true</c> (Lightning's <c>progress_bar_metrics</c>).</summary>
    public IReadOnlyDictionary<string, double> ProgressBarMetrics => view?.ProgressBarMetrics ?? new Dictionary<string, double>();

    /// <summary>The current epoch, 0-based, during a fit; after it, the epochs it ran (the last one's index + 1, e.g. MaxEpochs; Lightning's <c>current_epoch</c>). A later Validate, Test or Predict keeps it (Lightning keeps the fit loop's progress); 0 before any fit.</summary>
    public int CurrentEpoch => view?.CurrentEpoch ?? 0;

    /// <summary>Optimiser steps taken by the last fit.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>Whether the last fit was stopped by a callback (Lightning's <c>should_stop</c>).</summary>
    public bool ShouldStop => view?.ShouldStop ?? false;

    /// <summary>The last fit's optimiser configurations (optimiser, scheduler, interval, frequency, monitor; Lightning's <c>lr_scheduler_configs</c>).</summary>
    public IReadOnlyList<OptimizerConfig> LrSchedulerConfigs => view?.LrSchedulerConfigs ?? [];

    /// <summary>The last fit's optimisers (Lightning's <c>trainer.optimizers</c>), e.g. to read their learning rates.</summary>
    public IReadOnlyList<optim.Optimizer> Optimizers => view?.Optimizers ?? [];

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
    /// <exception cref="InvalidOperationException">This trainer is already running an entry point.</exception>
    public void Fit(ITrainingModule module, IDataModule data, string? ckptPath = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(data);
        using var guard = Enter(nameof(Fit));
        TorchRuntime.Initialize();
        using var strategy = DdpStrategy.Resolve(options.Strategy, options.Devices, options.NumNodes, options.DdpOptions());
        (IsGlobalZero, WorldSize, CommunicationSeconds) = (strategy?.IsGlobalZero ?? true, strategy?.Group.WorldSize ?? 1, 0);
        try
        {
            RunFit(module, strategy is null ? data : strategy.Shard(data), strategy, ckptPath, cancellationToken);
        }
        catch (Exception e) when (strategy is { Group.WorldSize: > 1 } && e is not OperationCanceledException)
        {
            strategy.Abort(e, Console.Error);
        }
    }

    /// <summary>Trains from scratch, cancellable between batches.</summary>
    public void Fit(ITrainingModule module, IDataModule data, CancellationToken cancellationToken) => Fit(module, data, null, cancellationToken);

    void RunFit(ITrainingModule module, IDataModule data, DdpStrategy? strategy, string? ckptPath, CancellationToken cancellationToken)
    {
        if (options.Seed is long seed) Seed.Everything(seed);
        var device = Accelerator.Resolve(options.Accelerator).Device;
        if (options.Deterministic && device.type != DeviceType.CPU)
            throw new NotSupportedException($"Deterministic = true on {device.type}: TorchSharp 0.107 cannot switch torch to deterministic algorithms; train on the CPU (deterministic) or set Deterministic = false.");
        // Lightning's detect_anomaly: torch.autograd.set_detect_anomaly for the whole fit.
        using var anomaly = options.DetectAnomaly ? autograd.set_detect_anomaly(true) : null;
        if (strategy is not null) device = strategy.DeviceFor(device);
        history.Clear();
        var hooks = Begin(TrainerStage.Fit, module, data, IsGlobalZero);
        try
        {
            using var loop = new FitLoop(options, module, data, strategy, device, hooks, view!, history, cancellationToken);
            loop.Restore(ckptPath);
            try
            {
                loop.Run();
            }
            finally
            {
                (GlobalStep, CommunicationSeconds, fitEpoch, fitLoggingStep) = (loop.GlobalStep, loop.CommunicationSeconds, view!.CurrentEpoch, loop.LoggingStep);
            }
            End(hooks, data, TrainerStage.Fit);
        }
        catch (Exception e)
        {
            hooks.OnException(e);
            throw;
        }
    }

    // Lightning's entry-point preamble (trainer.py _run): configure_callbacks, prepare_data (the data module's, then the
    // module's: connectors/data_connector.py prepare_data), setup (data module, callbacks, module: call.py
    // _call_setup_hook), configure_model.
    HookRunner Begin(TrainerStage stage, ITrainingModule module, IDataModule data, bool isGlobalZero)
    {
        var dataModule = data as LightningDataModule;
        var lightning = module as LightningModule;
        // Validate, Test and Predict see the last fit's epoch and global step (Lightning's fit_loop progress stays).
        var progress = stage == TrainerStage.Fit
            ? new TrainerProgress(0, options.EffectiveMaxEpochs, 0, 0, 0, isGlobalZero)
            : new TrainerProgress(fitEpoch, options.EffectiveMaxEpochs, 0, 0, GlobalStep, isGlobalZero) { BatchesThatStepped = fitLoggingStep };
        view = new TrainerView(stage, progress,
            isGlobalZero && options.FastDevRun is null ? [.. options.Loggers] : [], options.EffectiveMaxSteps)
        { FastDevRun = options.FastDevRun is not null, LogEveryNSteps = options.LogEveryNSteps };
        var hooks = new HookRunner(CallbackList(lightning), module, view);
        if (lightning is not null) lightning.Trainer = view;
        try
        {
            dataModule?.PrepareData();
            lightning?.PrepareData();
            dataModule?.Setup(stage);
            hooks.Run(nameof(Callback.Setup), c => c.Setup(view, module, stage), m => m.Setup(stage));
            lightning?.ConfigureModel();
        }
        catch (Exception e)
        {
            hooks.OnException(e);
            throw;
        }
        return hooks;
    }

    // Teardown: the data module's, then the callbacks' and the module's (call.py _call_teardown_hook).
    void End(HookRunner hooks, IDataModule data, TrainerStage stage)
    {
        (data as LightningDataModule)?.Teardown(stage);
        hooks.Run(nameof(Callback.Teardown), c => c.Teardown(view!, hooks.Module, stage), m => m.Teardown(stage));
        if (hooks.Lightning is { } lightning) lightning.Trainer = null;
    }

    // The module's configure_callbacks replace the trainer's of the same type; checkpoint callbacks run last, so that
    // they save what the others changed (Lightning's _CallbackConnector._reorder_callbacks).
    List<Callback> CallbackList(LightningModule? module)
    {
        var callbacks = options.Callbacks.ToList();
        callbacks.AddRange(DefaultCallbacks.For(options, callbacks));
        if (module?.ConfigureCallbacks().ToList() is { Count: > 0 } own)
        {
            var types = own.Select(c => c.GetType()).ToHashSet();
            callbacks.RemoveAll(c => types.Contains(c.GetType()));
            callbacks.AddRange(own);
        }
        if (view!.Stage == TrainerStage.Fit) defaultCheckpoint = null;
        if (options.EnableCheckpointing && view.Stage == TrainerStage.Fit && !callbacks.OfType<ModelCheckpoint>().Any() && WorldSize == 1)
            callbacks.Add(defaultCheckpoint = DefaultCheckpoint());
        return [.. callbacks.Where(c => c is not ModelCheckpoint), .. callbacks.Where(c => c is ModelCheckpoint)];
    }

    // Lightning's default ModelCheckpoint: the last epoch's checkpoint in a new lightning_logs/version_N, never over older files.
    ModelCheckpoint DefaultCheckpoint() => new(new ModelCheckpointOptions
    {
        DirPath = Path.Combine(LogDirectory.Resolve(options.DefaultRootDir, "lightning_logs", version: null), "checkpoints"),
    });

    /// <summary>The checkpoint callback <see cref="TrainerOptions.EnableCheckpointing"/> added to the last fit, or null.</summary>
    public ModelCheckpoint? DefaultCheckpointCallback => defaultCheckpoint;

    IDisposable Enter(string entryPoint)
    {
        if (Interlocked.CompareExchange(ref running, 1, 0) != 0)
            throw new InvalidOperationException($"{entryPoint} was called while this trainer is already running; use one trainer per concurrent fit.");
        return new Exit(this);
    }

    sealed class Exit(Trainer trainer) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref trainer.running, 0);
    }
}
