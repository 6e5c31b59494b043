using TorchSharp;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;
using IgniteEarlyStopping = Unified.Ignite.EarlyStopping;
using LightningEarlyStopping = Unified.Lightning.EarlyStopping;

namespace Unified.Samples.Scenarios;

/// <summary>Early stopping on val_loss with the best two checkpoints kept, through Lightning's callbacks and Ignite's handlers.</summary>
public static class EarlyStoppingCheckpoints
{
    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        int epochs = options.Smoke ? 3 : 20;
        int? batches = options.Smoke ? 6 : null;

        // Lightning: EarlyStopping and ModelCheckpoint are callbacks that monitor a logged metric.
        Seed.Everything(42);
        using var module = new LitClassifier(new DigitsMlp());
        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions
        {
            DirPath = Path.Combine(options.WorkDir, "lightning"), Monitor = "val_loss", Mode = Mode.Min, SaveTopK = 2, SaveLast = true,
        });
        var trainerOptions = new TrainerOptions { MaxEpochs = epochs, LimitTrainBatches = batches, LimitValBatches = batches, Accelerator = "cpu" };
        trainerOptions.Callbacks.Add(new LightningEarlyStopping(new EarlyStoppingOptions { Monitor = "val_loss", Patience = 2, Mode = Mode.Min }));
        trainerOptions.Callbacks.Add(checkpoint);
        var trainer = new Trainer(trainerOptions);
        trainer.Fit(module, data);
        Console.WriteLine($"lightning: stopped after epoch {trainer.CurrentEpoch}; best {checkpoint.BestModelPath}");

        // Ignite: an EarlyStopping handler on the evaluator's COMPLETED, a Checkpoint scored by -loss.
        Seed.Everything(42);
        using var model = new DigitsMlp();
        var engine = Supervised.CreateTrainer(model, optim.Adam(model.parameters(), 1e-3),
            (logits, y) => nn.functional.cross_entropy(logits, y), new SupervisedTrainerOptions { Accelerator = "cpu" });
        using var loss = new Loss((logits, y) => nn.functional.cross_entropy(logits, y));
        var evaluator = Supervised.CreateEvaluator(model, new Dictionary<string, Metric> { ["loss"] = loss }, accelerator: "cpu");
        engine.On(Events.EpochCompleted, _ => evaluator.Run(data.Validation!, epochLength: batches));
        evaluator.On(Events.Completed, new IgniteEarlyStopping(2, e => -e.State.Metric("loss"), engine).Handle);
        var best = new Checkpoint(Supervised.ToSave(engine).Parts, new DiskSaver(Path.Combine(options.WorkDir, "ignite")), nSaved: 2,
            scoreFunction: e => -e.State.Metric("loss"), scoreName: "neg_val_loss");
        evaluator.On(Events.Completed, best.Handle);
        engine.Run(data.Train, maxEpochs: epochs, epochLength: batches);
        Console.WriteLine($"ignite: stopped after epoch {engine.State.Epoch}; kept {string.Join(", ", Directory.GetFiles(Path.Combine(options.WorkDir, "ignite")).Select(Path.GetFileName))}");
        return 0;
    }
}
