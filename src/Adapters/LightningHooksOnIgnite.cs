using System.Reflection;
using Unified.Core.Data;
using Unified.Core.State;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Adapters;

/// <summary>
/// Maps a <see cref="LightningModule"/>'s hooks onto Ignite events, in Lightning 2.x's order (trainer/call.py,
/// loops/fit_loop.py, loops/evaluation_loop.py): the preamble and teardown around the run, <c>on_fit_start</c> at
/// <see cref="Events.Started"/>, <c>on_train_start</c> after the sanity check (<see cref="SupervisedFit.TrainStarted"/>),
/// batch hooks at the iteration events, <c>on_train_epoch_end</c> after validation (<see cref="SupervisedFit.EpochValidated"/>,
/// before checkpoints and early stopping), the backward and optimiser hooks at the step kernel's hook points, and the
/// checkpoint hooks as a part of the checkpoint. Only hooks the module overrides are attached. The module's
/// <see cref="LightningModule.Trainer"/> stays null under Ignite.
/// </summary>
internal sealed class LightningHooksOnIgnite(LightningModule module)
{
    readonly Type type = module.GetType();

    LightningModule Module => module;

    bool Overrides(string name) => type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
        .Any(m => m.Name == name && m.DeclaringType != typeof(LightningModule) && m.GetBaseDefinition().DeclaringType == typeof(LightningModule));

    void On(Engine engine, Event evt, string hook, Action<Engine> call)
    {
        if (Overrides(hook)) engine.On(evt, call);
    }

    /// <summary>
    /// Lightning's entry-point preamble (trainer.py _run): configure_callbacks, prepare_data (the data module's, then
    /// the module's), setup (the data module's, then the module's), configure_model, before the optimisers are
    /// configured. Returns the module's hook mapping, or null for a module that is not a <see cref="LightningModule"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The module configures callbacks, which are the Lightning front-end's.</exception>
    public static LightningHooksOnIgnite? Begin(ITrainingModule module, IDataModule data, TrainerStage stage)
    {
        var hooks = module is LightningModule lightning ? new LightningHooksOnIgnite(lightning) : null;
        if (hooks is not null && hooks.Module.ConfigureCallbacks().Any())
            throw new NotSupportedException($"{hooks.type.Name}.ConfigureCallbacks returns callbacks, which only the lightning front-end runs; " +
                "under ignite register handlers instead (UnifiedTrainerOptions.Handlers), or train with \"lightning\".");
        var dataModule = data as LightningDataModule;
        dataModule?.PrepareData();
        hooks?.Module.PrepareData();
        dataModule?.Setup(stage);
        hooks?.Module.Setup(stage);
        hooks?.Module.ConfigureModel();
        return hooks;
    }

    /// <summary>Lightning's teardown after an entry point that succeeded: the data module's, then the module's (call.py _call_teardown_hook).</summary>
    public static void End(LightningHooksOnIgnite? hooks, IDataModule data, TrainerStage stage)
    {
        (data as LightningDataModule)?.Teardown(stage);
        hooks?.Module.Teardown(stage);
    }

    public void Attach(SupervisedFit fit)
    {
        var trainer = fit.Trainer;
        On(trainer, Events.Started, nameof(LightningModule.OnFitStart), _ => module.OnFitStart());
        On(trainer, SupervisedFit.TrainStarted, nameof(LightningModule.OnTrainStart), _ => module.OnTrainStart());
        // A fit resumed inside an epoch does not start it again.
        On(trainer, Events.EpochStarted, nameof(LightningModule.OnTrainEpochStart), e => { if (e.State.EpochIteration == 0) module.OnTrainEpochStart(); });
        On(trainer, Events.IterationStarted, nameof(LightningModule.OnTrainBatchStart), e =>
        {
            if (module.OnTrainBatchStart(e.State.Batch!, e.State.EpochIteration - 1) == -1)
                throw new NotSupportedException("OnTrainBatchStart returned -1 (end the epoch here), which the ignite front-end does not support; use the lightning front-end or stop with a handler.");
        });
        On(trainer, Events.IterationCompleted, nameof(LightningModule.OnTrainBatchEnd), e => module.OnTrainBatchEnd((Tensor)e.State.Output!, e.State.Batch!, e.State.EpochIteration - 1));
        On(trainer, SupervisedFit.EpochValidated, nameof(LightningModule.OnTrainEpochEnd), _ => module.OnTrainEpochEnd());
        On(trainer, Events.Completed, nameof(LightningModule.OnTrainEnd), _ => module.OnTrainEnd());
        On(trainer, Events.Completed, nameof(LightningModule.OnFitEnd), _ => module.OnFitEnd());
        if (fit.Evaluator is { } evaluator) AttachValidation(evaluator);
        ConnectKernel(fit);
        if (Overrides(nameof(LightningModule.OnSaveCheckpoint)) || Overrides(nameof(LightningModule.OnLoadCheckpoint)))
            fit.ToSave.Add("checkpoint_hooks", new CheckpointHooks(module), optional: true);
    }

    void ConnectKernel(SupervisedFit fit)
    {
        var kernel = fit.Kernel;
        var optimizer = kernel.Optimizers.Optimizer;
        if (Overrides(nameof(LightningModule.OnBeforeBackward))) kernel.BeforeBackward = module.OnBeforeBackward;
        if (Overrides(nameof(LightningModule.OnAfterBackward))) kernel.AfterBackward = module.OnAfterBackward;
        if (Overrides(nameof(LightningModule.OnBeforeOptimizerStep))) kernel.BeforeOptimizerStep += _ => module.OnBeforeOptimizerStep(optimizer);
        if (Overrides(nameof(LightningModule.OnBeforeZeroGrad))) kernel.BeforeZeroGrad = () => module.OnBeforeZeroGrad(optimizer);
    }

    public void AttachValidation(Engine evaluator)
    {
        On(evaluator, Events.Started, nameof(LightningModule.OnValidationStart), _ => module.OnValidationStart());
        On(evaluator, Events.Started, nameof(LightningModule.OnValidationEpochStart), _ => module.OnValidationEpochStart());
        On(evaluator, Events.IterationStarted, nameof(LightningModule.OnValidationBatchStart), e => module.OnValidationBatchStart(e.State.Batch!, e.State.EpochIteration - 1));
        On(evaluator, Events.IterationCompleted, nameof(LightningModule.OnValidationBatchEnd), e => module.OnValidationBatchEnd(e.State.Batch!, e.State.EpochIteration - 1));
        On(evaluator, Events.EpochCompleted, nameof(LightningModule.OnValidationEpochEnd), _ => module.OnValidationEpochEnd());
        On(evaluator, Events.Completed, nameof(LightningModule.OnValidationEnd), _ => module.OnValidationEnd());
    }

    public void AttachTest(Engine evaluator)
    {
        On(evaluator, Events.Started, nameof(LightningModule.OnTestStart), _ => module.OnTestStart());
        On(evaluator, Events.Started, nameof(LightningModule.OnTestEpochStart), _ => module.OnTestEpochStart());
        On(evaluator, Events.IterationStarted, nameof(LightningModule.OnTestBatchStart), e => module.OnTestBatchStart(e.State.Batch!, e.State.EpochIteration - 1));
        On(evaluator, Events.IterationCompleted, nameof(LightningModule.OnTestBatchEnd), e => module.OnTestBatchEnd(e.State.Batch!, e.State.EpochIteration - 1));
        On(evaluator, Events.EpochCompleted, nameof(LightningModule.OnTestEpochEnd), _ => module.OnTestEpochEnd());
        On(evaluator, Events.Completed, nameof(LightningModule.OnTestEnd), _ => module.OnTestEnd());
    }

    public void AttachPredict(Engine evaluator)
    {
        On(evaluator, Events.Started, nameof(LightningModule.OnPredictStart), _ => module.OnPredictStart());
        On(evaluator, Events.Started, nameof(LightningModule.OnPredictEpochStart), _ => module.OnPredictEpochStart());
        On(evaluator, Events.IterationStarted, nameof(LightningModule.OnPredictBatchStart), e => module.OnPredictBatchStart(e.State.Batch!, e.State.EpochIteration - 1));
        On(evaluator, Events.IterationCompleted, nameof(LightningModule.OnPredictBatchEnd), e => module.OnPredictBatchEnd((Tensor)e.State.Output!, e.State.Batch!, e.State.EpochIteration - 1));
        On(evaluator, Events.EpochCompleted, nameof(LightningModule.OnPredictEpochEnd), _ => module.OnPredictEpochEnd());
        On(evaluator, Events.Completed, nameof(LightningModule.OnPredictEnd), _ => module.OnPredictEnd());
    }

    // Lightning's checkpoint hooks as a part of the checkpoint: what OnSaveCheckpoint adds is saved here and handed to OnLoadCheckpoint.
    sealed class CheckpointHooks(LightningModule module) : IStateful
    {
        public StateDict StateDict()
        {
            var extra = new StateDict();
            module.OnSaveCheckpoint(extra);
            return extra;
        }

        public void LoadStateDict(StateDict state) => module.OnLoadCheckpoint(state);
    }
}
