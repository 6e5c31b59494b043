using System.Diagnostics;
using TorchSharp;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>The same "time each epoch and stop when the loss is low enough" logic as a Lightning Callback and as Ignite event handlers.</summary>
public static class CustomCallback
{
    /// <summary>A Lightning callback: hooks receive a TrainerView (read progress and metrics, set ShouldStop).</summary>
    sealed class EpochTimer(double stopBelow) : Callback
    {
        readonly Stopwatch clock = new();

        public override void OnTrainEpochStart(TrainerView trainer, ITrainingModule module) => clock.Restart();

        public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module)
        {
            double loss = trainer.CallbackMetrics["train_loss"];
            Console.WriteLine($"lightning epoch {trainer.CurrentEpoch}: train_loss {loss:F4} in {clock.Elapsed.TotalSeconds:F2} s");
            if (loss < stopBelow) trainer.ShouldStop = true;
        }
    }

    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        int epochs = options.Smoke ? 2 : 10;
        int? batches = options.Smoke ? 4 : null;
        const double stopBelow = 0.2;

        Seed.Everything(42);
        using var module = new LitClassifier(new DigitsMlp());
        var trainerOptions = new TrainerOptions { MaxEpochs = epochs, LimitTrainBatches = batches, LimitValBatches = batches, Accelerator = "cpu" };
        trainerOptions.Callbacks.Add(new EpochTimer(stopBelow));
        new Trainer(trainerOptions).Fit(module, data);

        // Ignite: handlers are plain functions on events; a filter picks when they run.
        Seed.Everything(42);
        using var model = new DigitsMlp();
        var engine = Supervised.CreateTrainer(model, optim.Adam(model.parameters(), 1e-3), (logits, y) => nn.functional.cross_entropy(logits, y),
            new SupervisedTrainerOptions { Accelerator = "cpu" });
        var clock = new Stopwatch();
        double sum = 0;
        int count = 0;
        engine.On(Events.EpochStarted, () => { clock.Restart(); sum = 0; count = 0; });
        engine.On(Events.IterationCompleted, e => { sum += ((Tensor)e.State.Output!).item<float>(); count++; });
        engine.On(Events.EpochCompleted, e =>
        {
            Console.WriteLine($"ignite epoch {e.State.Epoch}: mean loss {sum / count:F4} in {clock.Elapsed.TotalSeconds:F2} s");
            if (sum / count < stopBelow) e.Terminate();
        });
        engine.On(Events.Completed.Once(1), e => Console.WriteLine($"ignite completed after {e.State.Iteration} iterations"));
        engine.Run(data.Train, maxEpochs: epochs, epochLength: batches);
        return 0;
    }
}
