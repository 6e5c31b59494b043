using Unified.Testing;
using Xunit;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>
/// Trainer.CurrentEpoch as Lightning's current_epoch (fit_loop.epoch_progress.current.completed): the epoch's index
/// while it runs, the epochs run once the fit ends (tests/tests_pytorch/trainer/test_trainer.py: "Model did not stop
/// at max_epochs", and current_epoch == 1 after fast_dev_run).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerCurrentEpochTests
{
    [Fact]
    public void CurrentEpoch_IsTheEpochIndexWhileItRuns_AndMaxEpochsFromOnTrainEndOn()
    {
        using var data = Digits();
        using var module = Mlp();
        var seen = new List<string>();
        var options = Options(maxEpochs: 3);
        options.Callbacks.Add(new LambdaCallback(
            onTrainEpochStart: (t, _) => seen.Add("start " + t.CurrentEpoch),
            onTrainEpochEnd: (t, _) => seen.Add("end " + t.CurrentEpoch),
            onTrainEnd: (t, _) => seen.Add("train end " + t.CurrentEpoch)));
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        Assert.Equal(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2", "train end 3"], seen);
        Assert.Equal(3, trainer.CurrentEpoch);
    }

    [Fact]
    public void CurrentEpoch_AfterFastDevRun_IsOne()
    {
        using var data = Digits();
        using var module = Mlp();
        var options = Options(maxEpochs: 3);
        options.FastDevRun = 1;
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        Assert.Equal(1, trainer.CurrentEpoch);
    }
}
