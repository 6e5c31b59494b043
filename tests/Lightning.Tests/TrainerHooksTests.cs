using Unified.Core.Data;
using Unified.Testing;
using Xunit;

namespace Unified.Lightning.Tests;

[Collection(TorchCollection.Name)]
public sealed class TrainerHooksTests
{
    const int TrainBatches = 5, ValidationBatches = 2;

    static SliceDataModule SmallData() => new(trainCount: TrainBatches * 16, validationCount: ValidationBatches * 16, batchSize: 16);

    // Callbacks before the module (Lightning 2.x trainer/call.py); on_train_epoch_end is the exception for monitoring callbacks only.
    static List<string> ExpectedFit(int epochs, int trainBatches, int validationBatches, params string[] callbacks)
    {
        var expected = new List<string>();
        expected.AddRange(callbacks.Select(c => $"{c}.OnFitStart"));
        expected.Add("module.OnFitStart");
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            expected.AddRange(callbacks.Select(c => $"{c}.OnTrainEpochStart({epoch})"));
            expected.Add($"module.OnTrainEpochStart({epoch})");
            for (int b = 0; b < trainBatches; b++)
            {
                expected.Add($"module.TrainingStep({b})");
                expected.AddRange(callbacks.Select(c => $"{c}.OnTrainBatchEnd({b})"));
            }
            for (int v = 0; v < validationBatches; v++) expected.Add($"module.ValidationStep({v})");
            expected.AddRange(callbacks.Select(c => $"{c}.OnTrainEpochEnd({epoch})"));
            expected.Add($"module.OnTrainEpochEnd({epoch})");
        }
        expected.AddRange(callbacks.Select(c => $"{c}.OnFitEnd"));
        expected.Add("module.OnFitEnd");
        return expected;
    }

    [Fact]
    public void Fit_CallsModuleAndCallbackHooksInLightningsOrder()
    {
        var log = new HookLog();
        using var data = SmallData();
        using var module = new RecordingModule(log);
        var options = new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu", NumSanityValSteps = 0 };
        options.Callbacks.Add(new RecordingCallback(log, "first"));
        options.Callbacks.Add(new RecordingCallback(log, "second"));

        new Trainer(options).Fit(module, data);

        Assert.Equal(ExpectedFit(2, TrainBatches, ValidationBatches, "first", "second"), log.Entries);
    }

    [Fact]
    public void Fit_RunsTrainingInTrainModeAndValidationInEvalMode()
    {
        var log = new HookLog();
        using var data = SmallData();
        using var module = new RecordingModule(log);

        new Trainer(new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu", NumSanityValSteps = 0 }).Fit(module, data);

        Assert.Equal(2 * TrainBatches, module.TrainingModeDuringTraining.Count);
        Assert.All(module.TrainingModeDuringTraining, Assert.True);
        Assert.Equal(2 * ValidationBatches, module.TrainingModeDuringValidation.Count);
        Assert.All(module.TrainingModeDuringValidation, Assert.False);
        Assert.True(module.Network.training);
    }

    [Fact]
    public void OnTrainBatchEnd_Fires125TimesPerEpochOnTheBundledDigitsAtBatch64()
    {
        var log = new HookLog();
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64 });
        using var module = new RecordingModule(log);
        var callback = new RecordingCallback(log);
        var options = new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", LimitValBatches = 0 };
        options.Callbacks.Add(callback);

        new Trainer(options).Fit(module, data);

        Assert.Equal(125, log.Count("callback.OnTrainBatchEnd"));
        Assert.Equal(125, log.Count("module.TrainingStep"));
        Assert.Equal(1, log.Count("callback.OnTrainEpochEnd"));
    }

    [Fact]
    public void OnTrainBatchEnd_SeesBatchIndexAndGlobalStepOfTheStepJustTaken()
    {
        var log = new HookLog();
        using var data = SmallData();
        using var module = new RecordingModule(log);
        var callback = new RecordingCallback(log);
        var options = new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu", AccumulateGradBatches = 2 };
        options.Callbacks.Add(callback);

        new Trainer(options).Fit(module, data);

        // Five batches with accumulation 2: steps after batches 1, 3 and (epoch end) 4.
        var expected = new[] { (0, 0, 0L), (0, 1, 1L), (0, 2, 1L), (0, 3, 2L), (0, 4, 3L), (1, 0, 3L), (1, 1, 4L), (1, 2, 4L), (1, 3, 5L), (1, 4, 6L) };
        Assert.Equal(expected, callback.BatchProgress.Select(p => (p.Epoch, p.BatchIndex, p.GlobalStep)));
        Assert.All(callback.BatchProgress, p => Assert.Equal((2, TrainBatches), (p.MaxEpochs, p.BatchesPerEpoch)));
        Assert.All(callback.Losses, l => Assert.InRange(l, 0.01f, 10f));
    }

    // Lightning calls only on_exception after a failure (trainer/call.py _call_and_handle_interrupt): no on_fit_end.
    [Fact]
    public void FailingStep_PropagatesTheExceptionAndCallsOnExceptionInsteadOfOnFitEnd()
    {
        var log = new HookLog();
        using var data = SmallData();
        using var module = new RecordingModule(log, failAtBatch: 2);
        var options = new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu" };
        options.Callbacks.Add(new RecordingCallback(log));

        var e = Assert.Throws<InvalidOperationException>(() => new Trainer(options).Fit(module, data));

        Assert.Equal("step failed on purpose", e.Message);
        Assert.Equal(2, log.Count("callback.OnTrainBatchEnd"));
        Assert.Equal("callback.OnException", log.Entries[^1]);
        Assert.Equal(0, log.Count("module.OnFitEnd") + log.Count("callback.OnFitEnd"));
        Assert.Equal(0, log.Count("module.OnTrainEpochEnd"));
    }
}
