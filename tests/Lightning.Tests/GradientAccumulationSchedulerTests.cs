using Unified.Testing;
using Xunit;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>
/// GradientAccumulationScheduler as Lightning's callbacks/gradient_accumulation_scheduler.py
/// (tests/tests_pytorch/callbacks/test_gradient_accumulation_scheduler.py): the factor reaches the step kernel per epoch.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class GradientAccumulationSchedulerTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static Trainer Fit(Core.Models.ClassificationModule module, Core.Data.DigitsDataModule data, int maxEpochs, int accumulate = 1, GradientAccumulationScheduler? scheduler = null, Callback? extra = null, string? ckpt = null)
    {
        var options = Options(maxEpochs: maxEpochs, trainBatches: 5);
        options.AccumulateGradBatches = accumulate;
        if (scheduler is not null) options.Callbacks.Add(scheduler);
        if (extra is not null) options.Callbacks.Add(extra);
        var trainer = new Trainer(options);
        trainer.Fit(module, data, ckpt);
        return trainer;
    }

    [Fact]
    public void Schedule_ChangesOptimizerStepsPerEpoch_AndTheLastIndivisibleWindowStillSteps()
    {
        using var data = Digits();
        using var module = Mlp();
        var scheduler = new GradientAccumulationScheduler(new Dictionary<int, int> { [1] = 2, [2] = 5 });

        var trainer = Fit(module, data, maxEpochs: 3, scheduler: scheduler);

        // 5 batches per epoch: factor 1 (epoch 0, before the first key) → 5 steps, 2 → 3 steps (2+2+1), 5 → 1 step.
        Assert.Equal(5 + 3 + 1, trainer.GlobalStep);
        Assert.Equal([1, 2, 5, 5], Enumerable.Range(0, 4).Select(scheduler.AccumulateGradBatchesFor));
    }

    [Fact]
    public void ScheduleFromEpochZero_TrainsBitwiseAsTheTrainerOption()
    {
        using var data = Digits();
        using var scheduled = Mlp();
        using var configured = Mlp();

        Fit(scheduled, data, maxEpochs: 2, scheduler: new GradientAccumulationScheduler(new Dictionary<int, int> { [0] = 2 }));
        Fit(configured, data, maxEpochs: 2, accumulate: 2);

        Assert.True(ModuleWeights.BitwiseEqual(scheduled.Network, configured.Network));
    }

    [Fact]
    public void ResumedInsideTheSchedule_EndsWithTheUninterruptedWeights()
    {
        using var data = Digits();
        using var uninterrupted = Mlp();
        Fit(uninterrupted, data, maxEpochs: 3, scheduler: new GradientAccumulationScheduler(new Dictionary<int, int> { [1] = 2 }));

        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveLast = true });
        using (var first = Mlp()) Fit(first, data, maxEpochs: 2, scheduler: new GradientAccumulationScheduler(new Dictionary<int, int> { [1] = 2 }), extra: checkpoint);
        using var resumed = Mlp(seed: 7);
        Fit(resumed, data, maxEpochs: 3, scheduler: new GradientAccumulationScheduler(new Dictionary<int, int> { [1] = 2 }), ckpt: checkpoint.LastModelPath);

        Assert.True(ModuleWeights.BitwiseEqual(uninterrupted.Network, resumed.Network));
    }

    [Fact]
    public void BadSchedules_AndTheTrainerOptionTogether_AreRefused()
    {
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => new GradientAccumulationScheduler(new Dictionary<int, int>())).Message);
        Assert.Contains("0 or more", Assert.Throws<ArgumentException>(() => new GradientAccumulationScheduler(new Dictionary<int, int> { [-1] = 2 })).Message);
        Assert.Contains("at least 1", Assert.Throws<ArgumentException>(() => new GradientAccumulationScheduler(new Dictionary<int, int> { [2] = 0 })).Message);
        using var data = Digits();
        using var module = Mlp();
        var error = Assert.Throws<InvalidOperationException>(() => Fit(module, data, 1, accumulate: 2, scheduler: new GradientAccumulationScheduler(new Dictionary<int, int> { [1] = 2 })));
        Assert.Contains("remove one of them", error.Message);
    }
}
