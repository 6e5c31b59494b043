using Unified.Testing;
using Xunit;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>Timer as Lightning's callbacks/timer.py (tests/tests_pytorch/callbacks/test_timer.py).</summary>
[Collection(TorchCollection.Name)]
public sealed class TimerTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void StepInterval_StopsAfterTheBatchThatReachedTheDuration_AsASuccessfulFit()
    {
        using var data = Digits();
        using var module = Mlp();
        var options = Options(maxEpochs: 5);
        // One tick: any training batch takes longer, so the first batch end reaches it.
        var timer = new Timer(TimeSpan.FromTicks(1));
        options.Callbacks.Add(timer);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        Assert.Equal(1, trainer.GlobalStep);
        Assert.True(trainer.ShouldStop);
        Assert.True(timer.TimeElapsed(TrainerStage.Fit) > 0);
        Assert.True(timer.TimeRemaining() < 0);
    }

    [Fact]
    public void EpochInterval_StopsAtTheFirstEpochEnd_AndMeasuresEachStage()
    {
        using var data = new Core.Data.DigitsDataModule(new Core.Data.DigitsDataOptions { BatchSize = 64, TestFraction = 0.1 });
        using var module = new TestableMlp();
        var options = Options(maxEpochs: 5);
        options.LimitTestBatches = 2;
        var timer = new Timer(TimeSpan.FromTicks(1), TimerInterval.Epoch);
        options.Callbacks.Add(timer);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);
        double training = timer.TimeElapsed(), validation = timer.TimeElapsed(TrainerStage.Validate);
        Assert.Equal(0, timer.TimeElapsed(TrainerStage.Test));
        trainer.Test(module, data);

        Assert.Equal(4, trainer.GlobalStep); // the whole first epoch, then stopped
        Assert.Equal(1, trainer.CurrentEpoch); // one epoch run (fit_loop.py on_advance_end counts the stopped epoch)
        Assert.True(training > validation && validation > 0, $"train {training}, validate {validation}");
        Assert.Equal(training, timer.TimeElapsed()); // training ended: it no longer grows
        Assert.True(timer.TimeElapsed(TrainerStage.Test) > 0);
    }

    [Fact]
    public void TrainingTime_IsSavedInCheckpoints_AndAResumedFitCountsOnFromIt()
    {
        using var data = Digits();
        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveLast = true });
        var first = new Timer();
        using (var module = Mlp())
        {
            var options = Options(maxEpochs: 1);
            options.Callbacks.Add(first);
            options.Callbacks.Add(checkpoint);
            new Trainer(options).Fit(module, data);
        }
        double saved;
        using (var contents = Core.Checkpointing.CheckpointFile.Load(checkpoint.LastModelPath!))
            saved = contents.Parts["callback_Timer"].Value<double>("time_elapsed.fit");
        Assert.True(saved > 0 && saved <= first.TimeElapsed(), $"saved {saved}, at the end {first.TimeElapsed()}");
        var resumed = new Timer(TimeSpan.FromTicks(1), TimerInterval.Epoch);
        using (var module = Mlp())
        {
            var options = Options(maxEpochs: 3);
            options.Callbacks.Add(resumed);
            var trainer = new Trainer(options);
            trainer.Fit(module, data, checkpoint.LastModelPath);
            // Lightning checks at fit start: the saved training time already exceeds the duration, so nothing trains.
            Assert.Equal(4, trainer.GlobalStep);
            Assert.True(trainer.ShouldStop);
        }

        Assert.True(resumed.TimeElapsed() > saved && saved > 0, $"saved {saved}, resumed {resumed.TimeElapsed()}");
    }

    [Fact]
    public void Durations_AreParsedOrRefusedWithTheExpectedFormat()
    {
        Assert.Equal(new TimeSpan(1, 12, 30, 5), new Timer("01:12:30:05").Duration);
        Assert.Contains("DD:HH:MM:SS", Assert.Throws<ArgumentException>(() => new Timer("12:00")).Message);
        Assert.Contains("zero or positive", Assert.Throws<ArgumentOutOfRangeException>(() => new Timer(TimeSpan.FromSeconds(-1))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Timer((TimeSpan?)null, (TimerInterval)9));
    }
}
