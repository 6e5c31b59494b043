using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.State;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>EarlyStopping, TerminateOnNan, DiskSaver and parameter schedulers, with Ignite's semantics (ignite/handlers/*.py).</summary>
[Collection(TorchCollection.Name)]
public sealed class HandlerTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static optim.Optimizer Sgd() => optim.SGD([nn.Parameter(zeros(1))], 0.1);

    static List<double> Values(ParamScheduler scheduler, int calls)
    {
        var engine = new Engine((_, _) => null);
        var values = new List<double>();
        for (int i = 0; i < calls; i++)
        {
            scheduler.Handle(engine);
            values.Add(Math.Round(scheduler.CurrentValue, 4));
        }
        return values;
    }

    [Fact]
    public void Schedulers_GiveIgnitesValues()
    {
        // param_scheduler.py docstrings: LinearCyclicalScheduler(start 1, end 0, cycle_size 10).
        Assert.Equal([1.0, 0.8, 0.6, 0.4, 0.2, 0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 0.8], Values(new LinearCyclicalScheduler(Sgd(), "lr", 1, 0, 10), 12));
        Assert.Equal([1.0, 0.8536, 0.5, 0.1464, 1.0], Values(new CosineAnnealingScheduler(Sgd(), "lr", 1, 0, 4), 5));
        Assert.Equal([0.5, 0.5, 1.0, 0.75, 0.5, 0.5], Values(new PiecewiseLinear(Sgd(), "lr", [(1, 0.5), (2, 1.0), (4, 0.5)]), 6));
        // Any option of the parameter groups, not only the learning rate.
        var sgd = optim.SGD([nn.Parameter(zeros(1))], 0.1, momentum: 0.9);
        Assert.Equal([0.9, 0.5], Values(new PiecewiseLinear(sgd, "momentum", [(0, 0.9), (1, 0.5)]), 2));
        Assert.Contains("no parameter 'nesterov_x'", Assert.Throws<ArgumentException>(() => new PiecewiseLinear(sgd, "nesterov_x", [(0, 1.0)])).Message);
    }

    [Fact]
    public void ConcatAndWarmup_SwitchSchedulersAfterTheirDurations_AndRestoreTheirState()
    {
        var sgd = Sgd();
        var warm = ConcatScheduler.CreateLrSchedulerWithWarmup(sgd, new LinearCyclicalScheduler(sgd, "lr", 0.1, 0.0, 4), warmupStartValue: 0, warmupDuration: 3);
        var engine = new Engine((_, _) => null);
        var values = new List<double>();
        for (int i = 0; i < 7; i++)
        {
            warm.Handle(engine);
            values.Add(Math.Round(sgd.ParamGroups.First().LearningRate, 4));
        }
        Assert.Equal([0.0, 0.05, 0.1, 0.1, 0.05, 0.0, 0.05], values);

        var other = optim.SGD([nn.Parameter(zeros(1))], 0.1);
        var copy = ConcatScheduler.CreateLrSchedulerWithWarmup(other, new LinearCyclicalScheduler(other, "lr", 0.1, 0.0, 4), warmupStartValue: 0, warmupDuration: 3);
        copy.LoadStateDict(warm.StateDict());
        warm.Handle(engine);
        copy.Handle(engine);
        Assert.Equal(sgd.ParamGroups.First().LearningRate, other.ParamGroups.First().LearningRate);

        var stepped = optim.SGD([nn.Parameter(zeros(1))], 1.0);
        var lr = new LRScheduler(optim.lr_scheduler.StepLR(stepped, step_size: 2, gamma: 0.5));
        for (int i = 0; i < 4; i++) lr.Handle(engine);
        Assert.Equal(0.25, stepped.ParamGroups.First().LearningRate, 12);
    }

    [Fact]
    public void Checkpoint_FilenamePattern_GreaterOrEqual_IncludeSelf_AndTheSavedCheckpointEvent()
    {
        using var data = CountingData.Loader(samples: 6, batchSize: 1);
        var engine = new Engine((_, _) => null);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var parts = new Dictionary<string, Core.State.IStateful> { ["model"] = new Core.State.ModuleState(module.Network) };
        // checkpoint.py: a file is saved when it beats the worst kept one (ties only with greater_or_equal).
        double[] scores = [1, 3, 1, 2, 2, 0];
        var handler = new Checkpoint(parts, new DiskSaver(temp.Path), filenamePrefix: "best", scoreFunction: e => scores[e.State.Iteration - 1],
            scoreName: "acc", nSaved: 2, filenamePattern: "{filename_prefix}-{global_step}-{score_name}{score}.{ext}", includeSelf: true);
        handler.Attach(engine, Events.IterationCompleted);
        var savedAt = new List<long>();
        engine.On(Checkpoint.SavedCheckpoint.Every(2), e => savedAt.Add(e.State.Iteration));

        engine.Run(data);

        Assert.Equal(["best-2-acc3.0000.ckpt", "best-4-acc2.0000.ckpt"], handler.Kept.Select(k => Path.GetFileName(k.Path)));
        Assert.Equal(["best-2-acc3.0000.ckpt", "best-4-acc2.0000.ckpt"], temp.FileNames());
        // Saved at iterations 1, 2 and 4: the second save is at 2.
        Assert.Equal([2L], savedAt);
        using var contents = CheckpointFile.Load(handler.LastCheckpoint!);
        Assert.True(contents.Parts.ContainsKey(Checkpoint.PartName));

        using var ties = new TempDirectory();
        var replacing = new Checkpoint(parts, new DiskSaver(ties.Path), scoreFunction: e => scores[e.State.Iteration - 1], nSaved: 2, greaterOrEqual: true);
        var other = new Engine((_, _) => null);
        other.On(Events.IterationCompleted, replacing.Handle);
        other.Run(data);
        Assert.Equal([2L, 5L], replacing.Kept.Select(k => long.Parse(Path.GetFileName(k.Path).Split('_')[1], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Checkpoint(parts, new DiskSaver(ties.File("x")), nSaved: 0));
        Assert.Contains("nSaved", Assert.Throws<ArgumentOutOfRangeException>(() => new Checkpoint(parts, new DiskSaver(ties.File("y")), nSaved: -2)).Message);
    }

    [Fact]
    public void Checkpoint_ScoreFunctionReturningNaN_IsRefused_BeforeAnyFileIsWritten()
    {
        // The bad input: a NaN score would sort anywhere; Ignite's Checkpoint would keep it silently.
        using var data = CountingData.Loader(samples: 3, batchSize: 1);
        var engine = new Engine((_, _) => null);
        var handler = new Checkpoint(new Dictionary<string, IStateful> { ["trainer"] = engine }, new DiskSaver(temp.Path), scoreFunction: _ => double.NaN, scoreName: "acc");
        engine.On(Events.IterationCompleted, handler.Handle);

        var e = Assert.Throws<InvalidOperationException>(() => engine.Run(data));

        Assert.Contains("returned NaN", e.Message);
        Assert.Empty(temp.FileNames());
        Assert.Equal(1, engine.State.Iteration);
    }

    [Fact]
    public void ReduceLROnPlateau_LowersTheRateAfterPatienceBadCalls_WithCooldown()
    {
        // torch ReduceLROnPlateau: factor 0.5, patience 1, cooldown 1, relative threshold 0.
        var sgd = Sgd();
        var scheduler = new ReduceLROnPlateauScheduler(sgd, "val_loss", factor: 0.5, patience: 1, threshold: 0, cooldown: 1);
        var engine = new Engine((_, _) => null);
        var rates = new List<double>();
        foreach (double loss in new[] { 1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.8 })
        {
            engine.State.Metrics["val_loss"] = loss;
            scheduler.Handle(engine);
            rates.Add(Math.Round(sgd.ParamGroups.First().LearningRate, 6));
        }
        Assert.Equal([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025], rates);

        var other = Sgd();
        var copy = new ReduceLROnPlateauScheduler(other, "val_loss", factor: 0.5, patience: 1, threshold: 0, cooldown: 1);
        copy.LoadStateDict(scheduler.StateDict());
        Assert.Equal(0.025, other.ParamGroups.First().LearningRate, 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateauScheduler(other, "val_loss", factor: 1));
    }

    [Fact]
    public void EarlyStopping_TerminatesAfterPatienceCallsWithoutImprovement()
    {
        // early_stopping.py: improvement means score > best + min_delta.
        using var data = CountingData.Loader(samples: 2, batchSize: 1);
        var scores = new Queue<double>([1.0, 1.05, 0.9, 1.2, 1.1, 1.1, 1.1, 5]);
        var trainer = new Engine((_, _) => null);
        var stopping = new EarlyStopping(patience: 3, _ => scores.Dequeue(), trainer, minDelta: 0.1);
        trainer.On(Events.EpochCompleted, stopping.Handle);

        var state = trainer.Run(data, maxEpochs: 20);

        Assert.Equal(7, state.Epoch);
        Assert.Equal((1.2, 3), (stopping.BestScore, stopping.Counter));
        Assert.Contains("patience", Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(0, _ => 1, trainer)).Message);
        var nan = new EarlyStopping(1, _ => double.NaN, trainer);
        Assert.Contains("NaN", Assert.Throws<InvalidOperationException>(() => nan.Handle(trainer)).Message);
    }

    [Fact]
    public void TerminateOnNan_StopsAtTheFirstNonFiniteOutput()
    {
        using var data = CountingData.Loader(samples: 10, batchSize: 1);
        var engine = new Engine((e, _) => e.State.Iteration == 4 ? tensor(double.NaN) : tensor(1.0));
        var handler = new TerminateOnNan();
        engine.On(Events.IterationCompleted, handler.Handle);
        Assert.Equal(4, engine.Run(data, maxEpochs: 1).Iteration);
        Assert.Equal(4, handler.StoppedAt);
    }

    [Fact]
    public void DiskSaver_RequiresAnEmptyFolderByDefault_AndSaysHowToAllowOne()
    {
        File.WriteAllText(temp.File("model_1.ckpt"), "not ours");
        var e = Assert.Throws<InvalidOperationException>(() => new DiskSaver(temp.Path));
        Assert.Contains("model_1.ckpt", e.Message);
        Assert.Contains("requireEmpty: false", e.Message);
        Assert.Equal(temp.Path, new DiskSaver(temp.Path, requireEmpty: false).Directory);
        Assert.Throws<DirectoryNotFoundException>(() => new DiskSaver(temp.File("missing"), createDir: false));
        Assert.Equal("not ours", File.ReadAllText(temp.File("model_1.ckpt")));
    }

    // A mid-epoch checkpoint holding a parameter scheduler and EarlyStopping resumes to the uninterrupted weights.
    [Fact]
    public void Checkpoint_MidEpoch_WithASchedulerAndEarlyStopping_ResumesBitwise()
    {
        using var data = new SliceDataModule(640, 0, 64);
        (Engine Trainer, ClassificationModule Module, CosineAnnealingScheduler Scheduler, EarlyStopping Stopping) Build()
        {
            Core.Runtime.Seed.Everything(42);
            var module = new ClassificationModule(new DigitsMlp(), 1e-3);
            var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
            var toSave = Supervised.ToSave(trainer);
            var optimizer = ((StepKernel)toSave.Parts["kernel"]).Optimizers.Optimizer;
            var scheduler = new CosineAnnealingScheduler(optimizer, "lr", 1e-2, 1e-4, cycleSize: 7);
            trainer.On(Events.IterationStarted, scheduler.Handle);
            var stopping = new EarlyStopping(5, e => -e.State.Metric("train_loss"), trainer);
            trainer.On(Events.EpochCompleted, stopping.Handle);
            toSave.Add("param_scheduler", scheduler).Add("early_stopping", stopping);
            return (trainer, module, scheduler, stopping);
        }

        var reference = Build();
        reference.Trainer.Run(data.Train, maxEpochs: 3);

        var first = Build();
        var handler = new Checkpoint(Supervised.ToSave(first.Trainer).Parts, new DiskSaver(temp.Path), nSaved: 1);
        first.Trainer.On(Events.IterationCompleted.Once(17), handler.Handle);
        first.Trainer.On(Events.IterationCompleted.Once(17), e => e.Terminate());
        first.Trainer.Run(data.Train, maxEpochs: 3);

        var resumed = Build();
        Checkpoint.LoadObjects(Supervised.ToSave(resumed.Trainer).Parts, handler.LastCheckpoint!);
        // 17 calls of a 7-event cycle: 2 cycles done, 3 events into the third; EarlyStopping saw epoch 1.
        Assert.Equal((17L, 2, 3L), (resumed.Trainer.State.Iteration, resumed.Scheduler.Cycle, resumed.Scheduler.EventIndex));
        Assert.Equal((first.Stopping.BestScore, 0), (resumed.Stopping.BestScore, resumed.Stopping.Counter));
        Assert.NotNull(resumed.Stopping.BestScore);
        resumed.Trainer.Run(data.Train, maxEpochs: 3);

        Assert.Equal(WeightsHash.Sha256(reference.Module.Network), WeightsHash.Sha256(resumed.Module.Network));
        Assert.Equal((reference.Scheduler.EventIndex, reference.Scheduler.Cycle), (resumed.Scheduler.EventIndex, resumed.Scheduler.Cycle));
        Assert.Equal((reference.Stopping.BestScore, reference.Stopping.Counter), (resumed.Stopping.BestScore, resumed.Stopping.Counter));
        foreach (var run in new[] { reference, first, resumed }) run.Module.Dispose();
    }
}
