using Unified.Core.Data;
using Unified.Testing;
using Xunit;

namespace Unified.Lightning.Tests;

/// <summary>
/// Every module and callback hook of a fit, a validate and a test, against the sequences PyTorch Lightning 2.x's own
/// tests assert: <c>tests/tests_pytorch/models/test_hooks.py</c> of Lightning-AI/pytorch-lightning
/// (<c>test_trainer_model_hook_system_fit</c> with automatic optimisation on one device, extended to 2 epochs by
/// repeating its epoch block; <c>test_trainer_model_hook_system_eval</c> and <c>test_trainer_model_hook_system_predict</c>
/// with 2 batches). The expected lists below are Lightning's, written out in full, then filtered by
/// <see cref="NotHooksHere"/>: the names Lightning records that are not hooks of this front-end.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerHookOrderTests : IDisposable
{
    const int TrainBatches = 2, ValBatches = 2;
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    // Lightning records these too, but here they are not overridable hooks: batch transfer is Core's Batch.MoveTo,
    // loaders are IDataModule properties, zeroing, backward, clipping, the optimiser and scheduler steps belong to
    // Core's StepKernel, and train/eval switching is the trainer's (on_*_model_eval/train/zero_grad).
    static readonly HashSet<string> NotHooksHere =
    [
        "on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
        "train_dataloader", "val_dataloader", "test_dataloader", "predict_dataloader",
        "zero_grad", "optimizer_zero_grad", "backward", "clip_gradients", "configure_gradient_clipping", "optimizer_step", "lr_scheduler_step",
        "train", "on_validation_model_eval", "on_validation_model_train", "on_validation_model_zero_grad",
        "on_test_model_eval", "on_test_model_train", "on_predict_model_eval",
    ];

    // HookedModel._auto_train_batch
    static IEnumerable<string> AutoTrainBatch(int batches, bool lastBatchStepsScheduler) => Enumerable.Range(0, batches).SelectMany(i => new[]
    {
        "on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
        "Callback.on_train_batch_start", "on_train_batch_start",
        "forward", "training_step",
        "Callback.on_before_zero_grad", "on_before_zero_grad", "optimizer_zero_grad",
        "Callback.on_before_backward", "on_before_backward", "backward",
        "Callback.on_after_backward", "on_after_backward",
        "Callback.on_before_optimizer_step", "on_before_optimizer_step",
        "clip_gradients", "configure_gradient_clipping", "optimizer_step",
    }.Concat(lastBatchStepsScheduler && i == batches - 1 ? ["lr_scheduler_step"] : []).Concat(["Callback.on_train_batch_end", "on_train_batch_end"]));

    // HookedModel._eval_epoch and _eval_batch
    static IEnumerable<string> EvalEpoch(string fn, int batches) =>
        new[] { $"Callback.on_{fn}_epoch_start", $"on_{fn}_epoch_start" }
        .Concat(Enumerable.Range(0, batches).SelectMany(_ => new[]
        {
            "on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
            $"Callback.on_{fn}_batch_start", $"on_{fn}_batch_start", "forward", $"{fn}_step",
            $"Callback.on_{fn}_batch_end", $"on_{fn}_batch_end",
        }))
        .Concat([$"Callback.on_{fn}_epoch_end", $"on_{fn}_epoch_end"]);

    static List<string> LightningFit(int epochs)
    {
        var expected = new List<string>
        {
            "configure_callbacks", "prepare_data", "Callback.setup[fit]", "setup[fit]", "configure_model", "configure_optimizers",
            "Callback.on_fit_start", "on_fit_start", "zero_grad",
            "Callback.on_sanity_check_start", "val_dataloader", "train", "on_validation_model_eval",
            "Callback.on_validation_start", "on_validation_start",
        };
        expected.AddRange(EvalEpoch("validation", ValBatches));
        expected.AddRange(["Callback.on_validation_end", "on_validation_end", "Callback.on_sanity_check_end",
            "train_dataloader", "Callback.on_train_start", "on_train_start"]);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            expected.AddRange(["Callback.on_train_epoch_start", "on_train_epoch_start"]);
            expected.AddRange(AutoTrainBatch(TrainBatches, lastBatchStepsScheduler: true));
            expected.AddRange(["zero_grad", "on_validation_model_zero_grad", "train", "on_validation_model_eval",
                "Callback.on_validation_start", "on_validation_start"]);
            expected.AddRange(EvalEpoch("validation", ValBatches));
            expected.AddRange(["Callback.on_validation_end", "on_validation_end",
                "Callback.on_train_epoch_end", "on_train_epoch_end",
                // ModelCheckpoint.save_checkpoint is called here
                "Callback.state_dict", "Callback.on_save_checkpoint", "on_save_checkpoint"]);
        }
        expected.AddRange(["Callback.on_train_end", "on_train_end", "Callback.on_fit_end", "on_fit_end", "Callback.teardown[fit]", "teardown[fit]"]);
        return expected;
    }

    // test_trainer_model_hook_system_eval
    static List<string> LightningEval(string verb, string noun, string loader, int batches) =>
    [
        "configure_callbacks", "prepare_data", $"Callback.setup[{verb}]", $"setup[{verb}]", "configure_model", "zero_grad",
        $"{loader}_dataloader", "train", $"on_{noun}_model_eval", $"Callback.on_{noun}_start", $"on_{noun}_start",
        .. EvalEpoch(noun, batches),
        $"Callback.on_{noun}_end", $"on_{noun}_end", $"Callback.teardown[{verb}]", $"teardown[{verb}]",
    ];

    static List<string> Here(IEnumerable<string> lightning) => lightning.Where(h => !NotHooksHere.Contains(h)).ToList();

    Trainer NewTrainer(List<string> called) => new(Options(called));

    TrainerOptions Options(List<string> called)
    {
        var options = new TrainerOptions
        {
            MaxEpochs = 2, Accelerator = "cpu", LimitTrainBatches = TrainBatches, LimitValBatches = ValBatches, LimitTestBatches = ValBatches,
            LimitPredictBatches = ValBatches,
        };
        options.Callbacks.Add(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = 0, SaveLast = true }));
        options.Callbacks.Add(new HookedCallback(called));
        return options;
    }

    static DigitsDataModule Data() => new(new DigitsDataOptions { BatchSize = 16, TestFraction = 0.01 });

    [Fact]
    public void FitWithSanityCheck_ThenValidateAndTest_CallEveryHookInLightningsOrder()
    {
        var called = new List<string>();
        using var data = Data();
        using var module = new HookedModule(called);
        var trainer = NewTrainer(called);

        trainer.Fit(module, data);
        var fit = called.ToList();
        called.Clear();
        trainer.Validate(module, data);
        var validate = called.ToList();
        called.Clear();
        trainer.Test(module, data);

        Assert.Equal(Here(LightningFit(epochs: 2)), fit);
        Assert.Equal(Here(LightningEval("validate", "validation", "val", ValBatches)), validate);
        Assert.Equal(Here(LightningEval("test", "test", "test", ValBatches)), called);
    }

    [Fact]
    public void Predict_CallsEveryPredictHookInLightningsOrder()
    {
        var called = new List<string>();
        using var data = Data();
        using var module = new HookedModule(called);

        var predictions = NewTrainer(called).Predict(module, data);

        // test_trainer_model_hook_system_predict
        var lightning = new List<string>
        {
            "configure_callbacks", "prepare_data", "Callback.setup[predict]", "setup[predict]", "configure_model", "zero_grad",
            "predict_dataloader", "train", "on_predict_model_eval", "Callback.on_predict_start", "on_predict_start",
            "Callback.on_predict_epoch_start", "on_predict_epoch_start",
        };
        for (int i = 0; i < ValBatches; i++)
            lightning.AddRange(["on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
                "Callback.on_predict_batch_start", "on_predict_batch_start", "forward", "predict_step",
                "Callback.on_predict_batch_end", "on_predict_batch_end"]);
        lightning.AddRange(["Callback.on_predict_epoch_end", "on_predict_epoch_end", "Callback.on_predict_end", "on_predict_end",
            "Callback.teardown[predict]", "teardown[predict]"]);
        Assert.Equal(Here(lightning), called);
        Assert.Equal(ValBatches, predictions.Count);
        Assert.All(predictions, p => Assert.Equal(new long[] { 16, 10 }, p.shape));
        foreach (var p in predictions) p.Dispose();
    }

    [Fact]
    public void FitResumedMidEpoch_SkipsTheSanityCheckAndTheEpochStart_AndLoadsTheCheckpointHooks()
    {
        using var data = Data();
        var options = new TrainerOptions { MaxEpochs = 1, MaxSteps = 1, Accelerator = "cpu", LimitTrainBatches = TrainBatches, LimitValBatches = 0 };
        options.Callbacks.Add(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = 0, SaveLast = true }));
        options.Callbacks.Add(new HookedCallback([]));
        using (var first = new HookedModule([])) new Trainer(options).Fit(first, data);

        var called = new List<string>();
        using var module = new HookedModule(called);
        var resumed = Options(called);
        (resumed.MaxEpochs, resumed.LimitValBatches) = (1, 0);
        new Trainer(resumed).Fit(module, data, ckptPath: temp.File(ModelCheckpoint.LastName));

        // test_trainer_model_hook_system_fit_no_val_and_resume_max_steps: no sanity check, no on_train_epoch_start,
        // the rest of the epoch from batch 1. Here the checkpoint is loaded after configure_optimizers (the optimiser
        // state needs the optimiser), and callbacks' states before the load hooks.
        int start = called.IndexOf("Callback.on_train_start");
        Assert.Equal(["configure_callbacks", "prepare_data", "Callback.setup[fit]", "setup[fit]", "configure_model", "configure_optimizers",
            "Callback.load_state_dict", "on_load_checkpoint", "Callback.on_load_checkpoint", "Callback.on_fit_start", "on_fit_start"], called[..start]);
        Assert.DoesNotContain("Callback.on_sanity_check_start", called);
        Assert.DoesNotContain("Callback.on_train_epoch_start", called);
        Assert.Equal(1, called.Count(h => h == "training_step"));
    }
}
