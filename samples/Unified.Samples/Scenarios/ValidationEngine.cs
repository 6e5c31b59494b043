using TorchSharp;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>
/// A validation engine: the evaluator is an Engine of its own, run from the trainer's events (Ignite's idiom), here
/// every N iterations on a few batches and on the whole split at each epoch's end; its metrics feed early stopping's score.
/// </summary>
public static class ValidationEngine
{
    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        Seed.Everything(42);
        using var model = new DigitsMlp();
        var trainer = Supervised.CreateTrainer(model, optim.Adam(model.parameters(), 1e-3),
            (logits, y) => nn.functional.cross_entropy(logits, y), new SupervisedTrainerOptions { Accelerator = "cpu" });
        using var accuracy = new Accuracy();
        var evaluator = Supervised.CreateEvaluator(model, new Dictionary<string, Metric> { ["accuracy"] = accuracy }, accelerator: "cpu");
        var history = new List<(int Iteration, double Accuracy)>();
        void Evaluate(Engine e, int? batches)
        {
            evaluator.Run(data.Validation!, epochLength: batches);
            history.Add(((int)e.State.Iteration, evaluator.State.Metric("accuracy")));
            Console.WriteLine($"iteration {e.State.Iteration}: validation accuracy {evaluator.State.Metric("accuracy"):F4} ({(batches is null ? "full split" : $"{batches} batches")})");
        }
        trainer.On(Events.IterationCompleted.Every(options.Smoke ? 4 : 100), e => Evaluate(e, 5));
        trainer.On(Events.EpochCompleted, e => Evaluate(e, options.ValBatches));
        evaluator.On(Events.Completed, e => Console.WriteLine($"  evaluator ran {e.State.Iteration} batches"));
        trainer.Run(data.Train, maxEpochs: options.Epochs, epochLength: options.Smoke ? 8 : null);
        return history.Count > 0 ? 0 : 1;
    }
}
