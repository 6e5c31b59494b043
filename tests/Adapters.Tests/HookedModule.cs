using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.State;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Adapters.Tests;

/// <summary>
/// Lightning's <c>HookedModel</c> (tests/tests_pytorch/models/test_hooks.py), as in Lightning.Tests: overrides every hook and records it under
/// Lightning's name when it returns, so that what a hook calls (forward inside training_step) is recorded first.
/// </summary>
internal sealed class HookedModule(List<string> called) : LightningModule(new DigitsMlp())
{
    public override Tensor Forward(Tensor input)
    {
        var output = base.Forward(input);
        called.Add("forward");
        return output;
    }

    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
        Log("train_loss", loss, batch.Size);
        called.Add("training_step");
        return loss;
    }

    public override void ValidationStep(Batch batch, int batchIndex)
    {
        Log("val_loss", nn.functional.cross_entropy(Forward(batch.Input), batch.Target), batch.Size);
        called.Add("validation_step");
    }

    public override void TestStep(Batch batch, int batchIndex)
    {
        Log("test_loss", nn.functional.cross_entropy(Forward(batch.Input), batch.Target), batch.Size);
        called.Add("test_step");
    }

    public override Tensor PredictStep(Batch batch, int batchIndex)
    {
        var output = Forward(batch.Input);
        called.Add("predict_step");
        return output;
    }

    public override OptimizerConfig ConfigureOptimizers()
    {
        called.Add("configure_optimizers");
        return new(optim.SGD(Network.parameters(), 0.1));
    }

    public override IEnumerable<Callback> ConfigureCallbacks() { called.Add("configure_callbacks"); return []; }
    public override void PrepareData() => called.Add("prepare_data");
    public override void Setup(TrainerStage stage) => called.Add($"setup[{Stage(stage)}]");
    public override void Teardown(TrainerStage stage) => called.Add($"teardown[{Stage(stage)}]");
    public override void ConfigureModel() => called.Add("configure_model");
    public override void OnFitStart() => called.Add("on_fit_start");
    public override void OnFitEnd() => called.Add("on_fit_end");
    public override void OnTrainStart() => called.Add("on_train_start");
    public override void OnTrainEnd() => called.Add("on_train_end");
    public override void OnTrainEpochStart() => called.Add("on_train_epoch_start");
    public override void OnTrainEpochEnd() => called.Add("on_train_epoch_end");
    public override int OnTrainBatchStart(Batch batch, int batchIndex) { called.Add("on_train_batch_start"); return 0; }
    public override void OnTrainBatchEnd(Tensor loss, Batch batch, int batchIndex) => called.Add("on_train_batch_end");
    public override void OnValidationStart() => called.Add("on_validation_start");
    public override void OnValidationEnd() => called.Add("on_validation_end");
    public override void OnValidationEpochStart() => called.Add("on_validation_epoch_start");
    public override void OnValidationEpochEnd() => called.Add("on_validation_epoch_end");
    public override void OnValidationBatchStart(Batch batch, int batchIndex) => called.Add("on_validation_batch_start");
    public override void OnValidationBatchEnd(Batch batch, int batchIndex) => called.Add("on_validation_batch_end");
    public override void OnTestStart() => called.Add("on_test_start");
    public override void OnTestEnd() => called.Add("on_test_end");
    public override void OnTestEpochStart() => called.Add("on_test_epoch_start");
    public override void OnTestEpochEnd() => called.Add("on_test_epoch_end");
    public override void OnTestBatchStart(Batch batch, int batchIndex) => called.Add("on_test_batch_start");
    public override void OnTestBatchEnd(Batch batch, int batchIndex) => called.Add("on_test_batch_end");
    public override void OnPredictStart() => called.Add("on_predict_start");
    public override void OnPredictEnd() => called.Add("on_predict_end");
    public override void OnPredictEpochStart() => called.Add("on_predict_epoch_start");
    public override void OnPredictEpochEnd() => called.Add("on_predict_epoch_end");
    public override void OnPredictBatchStart(Batch batch, int batchIndex) => called.Add("on_predict_batch_start");
    public override void OnPredictBatchEnd(Tensor prediction, Batch batch, int batchIndex) => called.Add("on_predict_batch_end");
    public override void OnBeforeBackward(Tensor loss) => called.Add("on_before_backward");
    public override void OnAfterBackward() => called.Add("on_after_backward");
    public override void OnBeforeOptimizerStep(optim.Optimizer optimizer) => called.Add("on_before_optimizer_step");
    public override void OnBeforeZeroGrad(optim.Optimizer optimizer) => called.Add("on_before_zero_grad");
    public override void OnSaveCheckpoint(StateDict checkpoint) => called.Add("on_save_checkpoint");
    public override void OnLoadCheckpoint(StateDict checkpoint) => called.Add("on_load_checkpoint");

    internal static string Stage(TrainerStage stage) => stage.ToString().ToLowerInvariant();
}
