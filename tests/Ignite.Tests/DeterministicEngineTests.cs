using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.State;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>
/// DeterministicEngine (ignite/engine/deterministic.py; tests/ignite/engine/test_deterministic.py
/// test_resume_random_dataloader_from_iter, test_gradients_on_resume): a run resumed from any iteration replays the
/// uninterrupted run's random draws and ends with its weights.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DeterministicEngineTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    // Each iteration draws from the global generator, as dropout does.
    static (Engine Engine, List<float> Draws) Drawing(bool deterministic)
    {
        var draws = new List<float>();
        Func<Engine, Core.Data.Batch, object?> process = (_, _) =>
        {
            using var r = rand(1);
            draws.Add(r.item<float>());
            return null;
        };
        return (deterministic ? new DeterministicEngine(process) : new Engine(process), draws);
    }

    [Theory]
    [InlineData(3)]   // mid-epoch
    [InlineData(5)]   // at an epoch's end
    [InlineData(12)]  // mid-epoch of a later epoch
    public void Resumed_FromItsStateDictAlone_ReplaysTheUninterruptedDraws(int stopAt)
    {
        using var data = CountingData.Loader(10, 2);
        manual_seed(7);
        var (reference, expected) = Drawing(deterministic: true);
        reference.Run(data, maxEpochs: 3);

        manual_seed(7);
        var (first, before) = Drawing(deterministic: true);
        first.On(Events.IterationCompleted.Once(stopAt), e => e.Interrupt());
        first.Run(data, maxEpochs: 3);
        var saved = first.StateDict();
        Assert.Equal(reference.State.Seed, saved.Value<long>("seed"));

        manual_seed(12345); // another stream: only the saved seed may matter
        var (resumed, after) = Drawing(deterministic: true);
        resumed.LoadStateDict(saved);
        resumed.Run(data, maxEpochs: 3);

        Assert.Equal(15, expected.Count);
        Assert.Equal(expected, before.Concat(after));
        Assert.Equal(reference.State.Seed, resumed.State.Seed);
    }

    [Fact]
    public void PlainEngine_ResumedWithoutTheGeneratorState_DrawsDifferently()
    {
        // The contrast that makes the test above meaningful: without reseeding, the draws depend on the generator's history.
        using var data = CountingData.Loader(10, 2);
        manual_seed(7);
        var (reference, expected) = Drawing(deterministic: false);
        reference.Run(data, maxEpochs: 2);
        manual_seed(7);
        var (first, before) = Drawing(deterministic: false);
        first.On(Events.IterationCompleted.Once(3), e => e.Interrupt());
        first.Run(data, maxEpochs: 2);
        manual_seed(12345);
        var (resumed, after) = Drawing(deterministic: false);
        resumed.LoadStateDict(first.StateDict());
        resumed.Run(data, maxEpochs: 2);

        Assert.NotEqual(expected, before.Concat(after));
    }

    [Fact]
    public void Seed_IsDrawnFromTheGeneratorAtStartedUnlessSet()
    {
        using var data = CountingData.Loader(4, 2);
        manual_seed(1);
        var (a, _) = Drawing(true);
        a.Run(data);
        manual_seed(1);
        var (b, _) = Drawing(true);
        b.Run(data);
        var (c, _) = Drawing(true);
        c.State.Seed = 99;
        c.Run(data);

        Assert.NotNull(a.State.Seed);
        Assert.Equal(a.State.Seed, b.State.Seed);
        Assert.Equal(99, c.State.Seed);
    }

    // The acceptance: a Checkpoint saved mid-epoch, reloaded into a fresh trainer, ends bitwise-equal to an
    // uninterrupted run, with a parameter scheduler and an EarlyStopping handler in the checkpoint. EarlyStopping
    // stops the run at epoch 3 of 5 (no epoch improves the training loss by 10): only its restored counter makes the
    // resumed run stop there too; the restored scheduler index makes it set the same learning rates.
    [Theory]
    [InlineData(7)]   // epoch 1
    [InlineData(25)]  // mid-epoch 3, after EarlyStopping counted epoch 2
    public void Trainer_ResumedFromAMidEpochCheckpoint_EndsBitwiseEqual_WithSchedulerAndEarlyStopping(int saveAt)
    {
        using var data = new SliceDataModule(640, 0, 64);
        var (referenceModel, reference, referenceParts) = Trainer(seed: 1);
        reference.Run(data.Train, maxEpochs: 5);
        Assert.Equal(30, reference.State.Iteration);

        string file;
        using (var cancellation = new CancellationTokenSource())
        {
            var (_, first, parts) = Trainer(seed: 1);
            var handler = new Checkpoint(parts, new DiskSaver(temp.Path), nSaved: 1);
            first.On(Events.IterationCompleted.Once(saveAt), e =>
            {
                handler.Handle(e);
                cancellation.Cancel();
            });
            Assert.ThrowsAny<OperationCanceledException>(() => first.Run(data.Train, 5, cancellation.Token));
            file = handler.LastCheckpoint!;
        }

        manual_seed(999);
        var (resumedModel, resumed, resumedParts) = Trainer(seed: 2);
        Checkpoint.LoadObjects(resumedParts, file);
        Assert.Equal(saveAt, resumed.State.Iteration);
        resumed.Run(data.Train, maxEpochs: 5);

        Assert.Equal(30, resumed.State.Iteration);
        Assert.Equal(3, resumed.State.Epoch);
        Assert.Equal(WeightsHash.Sha256(referenceModel), WeightsHash.Sha256(resumedModel));
        Assert.Equal(((ParamScheduler)referenceParts["lr_schedule"]).EventIndex, ((ParamScheduler)resumedParts["lr_schedule"]).EventIndex);
        Assert.Equal(((EarlyStopping)referenceParts["early_stopping"]).Counter, ((EarlyStopping)resumedParts["early_stopping"]).Counter);
    }

    // A supervised trainer with dropout, deterministic, a cosine LR schedule per iteration and EarlyStopping per epoch.
    static (DigitsMlp Model, Engine Trainer, IReadOnlyDictionary<string, IStateful> Parts) Trainer(long seed)
    {
        manual_seed(seed);
        var model = new DigitsMlp();
        var optimizer = optim.SGD(model.parameters(), 0.05, momentum: 0.9);
        manual_seed(42);
        var trainer = Supervised.CreateSupervisedTrainer(model, optimizer, (p, y) => nn.functional.cross_entropy(p, y), device: "cpu",
            prepareBatch: Noisy, deterministic: true);
        var schedule = new CosineAnnealingScheduler(optimizer, "lr", 0.05, 0.001, cycleSize: 8);
        trainer.On(Events.IterationStarted, schedule.Handle);
        var stopping = new EarlyStopping(2, e => -e.State.Metric("train_loss"), trainer, minDelta: 10);
        trainer.On(Events.EpochCompleted, stopping.Handle);
        var parts = Supervised.ToSave(trainer).Add("lr_schedule", schedule).Add("early_stopping", stopping);
        // No generator state: the deterministic engine reseeds every iteration.
        return (model, trainer, parts.Parts.Where(p => p.Key != "rng").ToDictionary());
    }

    // Input dropout in prepare_batch: a random op outside the model that the run must replay.
    static Core.Data.Batch Noisy(Core.Data.Batch batch, Device device)
    {
        var noisy = new Core.Data.Batch(nn.functional.dropout(batch.Input, 0.3), batch.Target.alias());
        batch.Dispose();
        return noisy.MoveTo(device);
    }
}
