using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>
/// The trainer options that choose what runs, with Lightning 2.x's meaning (src/lightning/pytorch/trainer/trainer.py
/// arguments; trainer/setup.py _init_debugging_flags for fast_dev_run and overfit_batches; loops/fit_loop.py
/// _can_stop_early for min_epochs/min_steps; loops/training_epoch_loop.py _should_check_val_fx for
/// val_check_interval and check_val_every_n_epoch; trainer/connectors/data_connector.py _parse_num_batches for fractions).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerRunOptionsTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    sealed class CountingModule(Func<Tensor, Tensor>? lossOf = null) : LightningModule(new DigitsMlp())
    {
        public List<(int Epoch, double InputSum)> TrainBatches { get; } = [];

        public List<(int Epoch, long Step)> Validations { get; } = [];

        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            TrainBatches.Add((Trainer!.CurrentEpoch, batch.Input.sum().item<float>()));
            var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
            return lossOf is null ? loss : lossOf(loss);
        }

        public override void ValidationStep(Batch batch, int batchIndex) => Log("val_loss", nn.functional.cross_entropy(Forward(batch.Input), batch.Target));

        public override void OnValidationStart()
        {
            if (!Trainer!.SanityChecking) Validations.Add((Trainer.CurrentEpoch, Trainer.GlobalStep));
        }

        public override OptimizerConfig ConfigureOptimizers() => new(optim.SGD(Network.parameters(), 0.01));
    }

    sealed class StopAtEpochEnd : Callback
    {
        public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module) => trainer.ShouldStop = true;
    }

    TrainerOptions Options(int epochs = 1) => new() { MaxEpochs = epochs, Accelerator = "cpu", NumSanityValSteps = 0, EnableCheckpointing = false, DefaultRootDir = temp.Path };

    // 128 training samples in batches of 16: 8 batches per epoch; 32 validation samples: 2 batches.
    static SliceDataModule Data() => new(trainCount: 128, validationCount: 32, batchSize: 16);

    public static TheoryData<Action<TrainerOptions>, string> BadOptions => new()
    {
        { o => o.LimitTrainBatches = 1.5, "LimitTrainBatches must be a fraction in (0, 1]" },
        { o => o.LimitTrainBatches = 0, "LimitTrainBatches must be a positive count" },
        { o => o.LimitValBatches = -1, "LimitValBatches must be a non-negative count" },
        { o => o.ValCheckInterval = 0.0, "ValCheckInterval must be a fraction in (0, 1]" },
        { o => (o.MaxEpochs, o.MinEpochs) = (2, 3), "MinEpochs (3) exceeds MaxEpochs (2)" },
        { o => (o.MaxSteps, o.MinSteps) = (5, 6), "MinSteps (6) exceeds MaxSteps (5)" },
        { o => o.MaxTime = TimeSpan.Zero, "MaxTime must be positive" },
        { o => o.CheckValEveryNEpoch = 0, "CheckValEveryNEpoch must be a positive integer" },
        { o => o.FastDevRun = 0, "FastDevRun must be a positive number of batches" },
        { o => (o.FastDevRun, o.OverfitBatches) = (1, 2), "FastDevRun and OverfitBatches" },
        { o => (o.OverfitBatches, o.LimitTrainBatches) = (2, 3), "OverfitBatches sets the training and validation batches itself" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptions_AreRefusedWhenTheTrainerIsCreated(Action<TrainerOptions> set, string message)
    {
        var options = Options();
        set(options);

        var e = Assert.ThrowsAny<ArgumentException>(() => new Trainer(options));

        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void LimitTrainBatches_AFraction_RunsThatShareOfTheEpoch()
    {
        using var data = Data();
        using var module = new CountingModule();
        var options = Options(2);
        (options.LimitTrainBatches, options.LimitValBatches) = (0.25, 0.5);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        Assert.Equal(4, trainer.GlobalStep); // int(8 * 0.25) per epoch
        Assert.Equal([(0, 2L), (1, 4L)], module.Validations);
    }

    [Fact]
    public void LimitTrainBatches_AFractionBelowOneBatch_FailsNamingTheOption()
    {
        using var data = Data();
        using var module = new CountingModule();
        var options = Options();
        options.LimitTrainBatches = 0.05;

        var e = Assert.Throws<InvalidOperationException>(() => new Trainer(options).Fit(module, data));

        Assert.Contains("LimitTrainBatches = 0.05 of 8 batches is less than one batch", e.Message);
    }

    [Theory]
    [InlineData(0.5, new long[] { 4, 8 })]     // a fraction: halfway and at the end
    [InlineData(3, new long[] { 3, 6 })]       // a count not dividing 8: no validation at the end (Lightning's too)
    public void ValCheckInterval_ValidatesWithinTheEpoch(double interval, long[] steps)
    {
        using var data = Data();
        using var module = new CountingModule();
        var options = Options();
        options.ValCheckInterval = interval == 3 ? (BatchLimit)3 : interval;

        new Trainer(options).Fit(module, data);

        Assert.Equal(steps, module.Validations.Select(v => v.Step));
    }

    [Fact]
    public void CheckValEveryNEpoch_ValidatesInEveryNthEpochOnly()
    {
        using var data = Data();
        using var module = new CountingModule();
        var options = Options(4);
        options.CheckValEveryNEpoch = 2;

        new Trainer(options).Fit(module, data);

        Assert.Equal([1, 3], module.Validations.Select(v => v.Epoch));
    }

    [Fact]
    public void MinEpochs_KeepsTrainingWhenACallbackAsksToStopEarlier()
    {
        using var data = Data();
        using var module = new CountingModule();
        var options = Options(5);
        options.MinEpochs = 3;
        options.Callbacks.Add(new StopAtEpochEnd());
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        Assert.Equal(3, trainer.History.Count);
        Assert.True(trainer.ShouldStop);
    }

    [Fact]
    public void MaxTime_StopsTheFitAsASuccess_OnceItHasPassed()
    {
        using var data = Data();
        using var module = new CountingModule();
        var options = Options(3);
        options.MaxTime = TimeSpan.FromTicks(1); // passed after the first batch, whatever the machine

        var trainer = new Trainer(options);
        trainer.Fit(module, data);

        Assert.Equal(1, trainer.GlobalStep);
        Assert.Single(trainer.History);
    }

    [Fact]
    public void FastDevRun_RunsNBatches_OneEpoch_WithoutSanityCheckCheckpointsOrLoggers()
    {
        using var data = Data();
        using var module = new CountingModule();
        var options = new TrainerOptions { MaxEpochs = 5, Accelerator = "cpu", FastDevRun = 2 };
        options.Callbacks.Add(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.File("ckpt") }));
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        Assert.Equal(2, trainer.GlobalStep);
        Assert.Single(trainer.History);
        Assert.Equal([(0, 2L)], module.Validations);
        Assert.False(Directory.Exists(temp.File("ckpt")) && Directory.EnumerateFiles(temp.File("ckpt"), "*.ckpt").Any());
    }

    [Fact]
    public void OverfitBatches_RepeatsTheSameBatchesEveryEpoch()
    {
        using var data = Data();
        using var module = new CountingModule();
        var options = Options(3);
        options.OverfitBatches = 2;

        new Trainer(options).Fit(module, data);

        var perEpoch = module.TrainBatches.GroupBy(b => b.Epoch).Select(g => g.Select(b => b.InputSum).ToList()).ToList();
        Assert.Equal(3, perEpoch.Count);
        Assert.All(perEpoch, batches => Assert.Equal(perEpoch[0], batches));
        Assert.Equal(2, perEpoch[0].Count);
    }

    [Fact]
    public void EnableCheckpointing_ByDefault_SavesIntoANewVersionFolder_NeverOverAnOlderRun()
    {
        using var data = Data();
        var options = new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", DefaultRootDir = temp.Path };

        using (var first = new CountingModule()) new Trainer(options).Fit(first, data);
        using var second = new CountingModule();
        var trainer = new Trainer(options);
        trainer.Fit(second, data);

        Assert.True(File.Exists(Path.Combine(temp.Path, "lightning_logs", "version_0", "checkpoints", "epoch=0-step=8.ckpt")));
        Assert.Equal(Path.Combine(temp.Path, "lightning_logs", "version_1", "checkpoints", "epoch=0-step=8.ckpt"), trainer.DefaultCheckpointCallback!.BestModelPath);
        // "best" resolves to the default checkpoint.
        Assert.Contains("val_loss", trainer.Validate(second, data, ckptPath: "best").Keys);
    }

    [Fact]
    public void EnableCheckpointing_Off_WritesNothing()
    {
        using var data = Data();
        using var module = new CountingModule();

        new Trainer(Options()).Fit(module, data);

        Assert.False(Directory.Exists(Path.Combine(temp.Path, "lightning_logs")));
    }

    [Fact]
    public void DetectAnomaly_NamesTheBackwardThatProducedNaN()
    {
        using var data = Data();
        // sqrt(0) is finite, its gradient is not: only the backward goes wrong.
        using var module = new CountingModule(loss => (loss - loss).sqrt());
        var options = Options();
        options.DetectAnomaly = true;

        var e = Assert.ThrowsAny<Exception>(() => new Trainer(options).Fit(module, data));

        // torch's anomaly mode: "Function 'XBackward0' returned nan values in its 0th output."
        Assert.Contains("Backward0' returned nan values", e.Message);
        // Without it the NaN gradients surface one step later, as a NaN loss that names no operation.
        using var plain = new CountingModule(loss => (loss - loss).sqrt());
        Assert.Throws<NonFiniteLossException>(() => new Trainer(Options()).Fit(plain, data));
    }

    [Fact]
    public void TrainingStepReturningNull_FailsNamingTheStep()
    {
        using var data = Data();
        using var module = new CountingModule(_ => null!);

        var e = Assert.Throws<InvalidOperationException>(() => new Trainer(Options()).Fit(module, data));

        Assert.Contains("CountingModule.TrainingStep returned null at batch 0", e.Message);
    }

    [Fact]
    public void Test_WithoutATestSplit_FailsNamingTheFix()
    {
        using var data = Data();
        using var module = new CountingModule();

        var e = Assert.Throws<InvalidOperationException>(() => new Trainer(Options()).Test(module, data));

        Assert.Contains("Test needs a test split", e.Message);
    }

    sealed class BlockingCallback(ManualResetEventSlim started, ManualResetEventSlim release) : Callback
    {
        public override void OnTrainStart(TrainerView trainer, ITrainingModule module)
        {
            started.Set();
            release.Wait();
        }
    }

    [Fact]
    public async Task Fit_CalledWhileTheSameTrainerRuns_IsRefused()
    {
        using var data = Data();
        using var module = new CountingModule();
        using var other = new CountingModule();
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var options = Options();
        options.Callbacks.Add(new BlockingCallback(started, release));
        var trainer = new Trainer(options);

        var running = Task.Run(() => trainer.Fit(module, data));
        started.Wait();
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(other, data));
        release.Set();
        await running;

        Assert.Contains("already running", e.Message);
    }
}
