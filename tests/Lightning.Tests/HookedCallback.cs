using Unified.Core.Data;
using Unified.Core.State;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>Lightning's <c>HookedCallback</c> (tests/tests_pytorch/models/test_hooks.py): every hook, recorded as <c>Callback.NAME</c>.</summary>
internal sealed class HookedCallback(List<string> called) : Callback, IStateful
{
    public StateDict StateDict()
    {
        called.Add("Callback.state_dict");
        var state = new StateDict();
        state.Values["foo"] = true;
        return state;
    }

    public void LoadStateDict(StateDict state) => called.Add("Callback.load_state_dict");

    void Add(string hook) => called.Add("Callback." + hook);

    public override void Setup(TrainerView trainer, ITrainingModule module, TrainerStage stage) => Add($"setup[{HookedModule.Stage(stage)}]");
    public override void Teardown(TrainerView trainer, ITrainingModule module, TrainerStage stage) => Add($"teardown[{HookedModule.Stage(stage)}]");
    public override void OnFitStart(TrainerView trainer, ITrainingModule module) => Add("on_fit_start");
    public override void OnFitEnd(TrainerView trainer, ITrainingModule module) => Add("on_fit_end");
    public override void OnSanityCheckStart(TrainerView trainer, ITrainingModule module) => Add("on_sanity_check_start");
    public override void OnSanityCheckEnd(TrainerView trainer, ITrainingModule module) => Add("on_sanity_check_end");
    public override void OnTrainStart(TrainerView trainer, ITrainingModule module) => Add("on_train_start");
    public override void OnTrainEnd(TrainerView trainer, ITrainingModule module) => Add("on_train_end");
    public override void OnTrainEpochStart(TrainerView trainer, ITrainingModule module) => Add("on_train_epoch_start");
    public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module) => Add("on_train_epoch_end");
    public override void OnTrainBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => Add("on_train_batch_start");
    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex) => Add("on_train_batch_end");
    public override void OnValidationStart(TrainerView trainer, ITrainingModule module) => Add("on_validation_start");
    public override void OnValidationEnd(TrainerView trainer, ITrainingModule module) => Add("on_validation_end");
    public override void OnValidationEpochStart(TrainerView trainer, ITrainingModule module) => Add("on_validation_epoch_start");
    public override void OnValidationEpochEnd(TrainerView trainer, ITrainingModule module) => Add("on_validation_epoch_end");
    public override void OnValidationBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => Add("on_validation_batch_start");
    public override void OnValidationBatchEnd(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => Add("on_validation_batch_end");
    public override void OnTestStart(TrainerView trainer, ITrainingModule module) => Add("on_test_start");
    public override void OnTestEnd(TrainerView trainer, ITrainingModule module) => Add("on_test_end");
    public override void OnTestEpochStart(TrainerView trainer, ITrainingModule module) => Add("on_test_epoch_start");
    public override void OnTestEpochEnd(TrainerView trainer, ITrainingModule module) => Add("on_test_epoch_end");
    public override void OnTestBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => Add("on_test_batch_start");
    public override void OnTestBatchEnd(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => Add("on_test_batch_end");
    public override void OnPredictStart(TrainerView trainer, ITrainingModule module) => Add("on_predict_start");
    public override void OnPredictEnd(TrainerView trainer, ITrainingModule module) => Add("on_predict_end");
    public override void OnPredictEpochStart(TrainerView trainer, ITrainingModule module) => Add("on_predict_epoch_start");
    public override void OnPredictEpochEnd(TrainerView trainer, ITrainingModule module) => Add("on_predict_epoch_end");
    public override void OnPredictBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => Add("on_predict_batch_start");
    public override void OnPredictBatchEnd(TrainerView trainer, ITrainingModule module, Tensor prediction, Batch batch, int batchIndex) => Add("on_predict_batch_end");
    public override void OnBeforeBackward(TrainerView trainer, ITrainingModule module, Tensor loss) => Add("on_before_backward");
    public override void OnAfterBackward(TrainerView trainer, ITrainingModule module) => Add("on_after_backward");
    public override void OnBeforeOptimizerStep(TrainerView trainer, ITrainingModule module, optim.Optimizer optimizer) => Add("on_before_optimizer_step");
    public override void OnBeforeZeroGrad(TrainerView trainer, ITrainingModule module, optim.Optimizer optimizer) => Add("on_before_zero_grad");
    public override void OnSaveCheckpoint(TrainerView trainer, ITrainingModule module, StateDict checkpoint) => Add("on_save_checkpoint");
    public override void OnLoadCheckpoint(TrainerView trainer, ITrainingModule module, StateDict checkpoint) => Add("on_load_checkpoint");
    public override void OnException(TrainerView trainer, ITrainingModule module, Exception exception) => Add("on_exception");
}
