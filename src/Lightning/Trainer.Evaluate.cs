using TorchSharp;
using Unified.Core.Accelerators;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Logging;
using Unified.Core.Runtime;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

// Lightning's trainer.validate / test / predict: one evaluation run with the module's weights, or those of a checkpoint.
public sealed partial class Trainer
{
    /// <summary>
    /// Runs the validation split once and returns its logged means (Lightning's <c>trainer.validate</c>). With
    /// <paramref name="ckptPath"/> (a file, <c>"best"</c> or <c>"last"</c> of this trainer's <see cref="ModelCheckpoint"/>)
    /// the module's weights are loaded from it first.
    /// </summary>
    /// <exception cref="InvalidOperationException">The data has no validation split, or the checkpoint cannot be found.</exception>
    public IReadOnlyDictionary<string, double> Validate(ITrainingModule module, IDataModule data, string? ckptPath = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Evaluate(TrainerStage.Validate, EvaluationLoop.Phase.Validation, module, data, ckptPath, d => d.Validation
            ?? throw new InvalidOperationException("Validate needs a validation split: the data module's Validation is null (e.g. DigitsDataOptions.ValidationFraction is 0)."),
            options.ValBatches).Metrics;
    }

    /// <summary>
    /// Runs the test split once through <see cref="LightningModule.TestStep"/> and returns its logged means (Lightning's
    /// <c>trainer.test</c>); <paramref name="ckptPath"/> as for <see cref="Validate"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The data has no test split, the module no test step, or the checkpoint cannot be found.</exception>
    public IReadOnlyDictionary<string, double> Test(LightningModule module, IDataModule data, string? ckptPath = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(data);
        // A LightningDataModule builds its splits in Setup; any other data module has them now.
        if (data is not LightningDataModule && data.Test is null) throw NoTestSplit();
        if (module.GetType().GetMethod(nameof(LightningModule.TestStep))!.DeclaringType == typeof(LightningModule))
            throw new InvalidOperationException($"{module.GetType().Name} does not override TestStep; override it to log what a test measures.");
        return Evaluate(TrainerStage.Test, EvaluationLoop.Phase.Test, module, data, ckptPath, d => d.Test ?? throw NoTestSplit(), options.TestBatches).Metrics;
    }

    /// <summary>
    /// Predicts every batch of the data's predict split (or, without one, of its test split) with
    /// <see cref="LightningModule.PredictStep"/> and returns one tensor per batch, owned by the caller (Lightning's
    /// <c>trainer.predict</c>); <paramref name="ckptPath"/> as for <see cref="Validate"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The data has neither a predict nor a test split, or the checkpoint cannot be found.</exception>
    public IReadOnlyList<Tensor> Predict(LightningModule module, IDataModule data, string? ckptPath = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Evaluate(TrainerStage.Predict, EvaluationLoop.Phase.Predict, module, data, ckptPath, d => d.Predict ?? d.Test
            ?? throw new InvalidOperationException("Predict needs batches: the data module's Predict and Test are both null."), options.PredictBatches).Predictions;
    }

    (IReadOnlyDictionary<string, double> Metrics, List<Tensor> Predictions) Evaluate(TrainerStage stage, EvaluationLoop.Phase phase,
        ITrainingModule module, IDataModule data, string? ckptPath, Func<IDataModule, IBatchLoader> loaderOf, Func<int, int> limitOf)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var guard = Enter(stage.ToString());
        TorchRuntime.Initialize();
        if (ResolveCheckpoint(ckptPath) is { } path) ModelWeights.Load(module.Network, path);
        var device = Accelerator.Resolve(options.Accelerator).Device;
        module.Network.to(device);
        // The trainer's loggers, as the fit's (rank 0, not under FastDevRun); Lightning finalizes them at every stage's
        // end, with "failed" when the stage failed, setup included (call.py _call_and_handle_interrupt, _interrupt).
        var recorder = new EvaluationRecorder(options.RecorderOptions());
        HookRunner hooks;
        try
        {
            hooks = Begin(stage, module, data, isGlobalZero: true);
        }
        catch (Exception e)
        {
            recorder.Failed(e);
            throw;
        }
        try
        {
            // After the data module's Setup (Lightning reads the loaders once the stage is set up).
            var loader = loaderOf(data);
            int limit = limitOf(loader.Count);
            module.Logged.Reset();
            bool predict = phase == EvaluationLoop.Phase.Predict;
            // The epoch's values are read once, when the loop computes them after the epoch-end hooks.
            LoggedValues? values = null;
            var predictions = new EvaluationLoop(hooks, view!, device).Run(phase, loader, limit, predict ? null : () => values = module.Logged.ComputeEpoch(null),
                predict ? null : () => recorder.BatchCompleted(() => module.Logged.ComputeStep().Logged));
            var metrics = values?.Callback ?? view!.CallbackMetrics;
            // logger_connector.py log_eval_end_metrics: the loggers' view, with the fit's epoch, at its logging step (_batches_that_stepped).
            if (values is not null) recorder.RunCompleted(values.Logged, CurrentEpoch, fitLoggingStep);
            module.Logged.Reset();
            End(hooks, data, stage);
            recorder.Finish(RunStatus.Success);
            return (metrics, predictions);
        }
        catch (Exception e)
        {
            hooks.OnException(e);
            recorder.Failed(e);
            throw;
        }
    }

    static InvalidOperationException NoTestSplit() =>
        new("Test needs a test split: the data module's Test is null (for the digits set DigitsDataOptions.TestFraction, e.g. 0.1).");

    string? ResolveCheckpoint(string? ckptPath)
    {
        if (ckptPath is not ("best" or "last")) return ckptPath;
        var checkpoint = options.Callbacks.OfType<ModelCheckpoint>().FirstOrDefault() ?? defaultCheckpoint
            ?? throw new InvalidOperationException($"ckptPath \"{ckptPath}\" needs a ModelCheckpoint among the trainer's callbacks; pass a checkpoint file instead.");
        return (ckptPath == "best" ? checkpoint.BestModelPath : checkpoint.LastModelPath)
            ?? throw new InvalidOperationException($"ckptPath \"{ckptPath}\": the ModelCheckpoint has saved no {ckptPath} checkpoint yet; fit first or pass a file.");
    }
}
