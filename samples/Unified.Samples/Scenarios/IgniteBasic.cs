using TorchSharp;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>Basic Ignite: create_supervised_trainer and create_supervised_evaluator with metrics, run by events.</summary>
public static class IgniteBasic
{
    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        Seed.Everything(42);
        using var model = new DigitsMlp();
        var trainer = Supervised.CreateTrainer(model, optim.Adam(model.parameters(), 1e-3),
            (logits, y) => nn.functional.cross_entropy(logits, y), new SupervisedTrainerOptions { Accelerator = "cpu" });
        using var accuracy = new Accuracy();
        using var loss = new Loss((logits, y) => nn.functional.cross_entropy(logits, y));
        var evaluator = Supervised.CreateEvaluator(model, new Dictionary<string, Metric> { ["accuracy"] = accuracy, ["loss"] = loss }, accelerator: "cpu");
        trainer.On(Events.IterationCompleted.Every(options.Smoke ? 4 : 50), e => Console.WriteLine($"iteration {e.State.Iteration}: loss {((Tensor)e.State.Output!).item<float>():F4}"));
        trainer.On(Events.EpochCompleted, e =>
        {
            evaluator.Run(data.Validation!, epochLength: options.ValBatches);
            Console.WriteLine($"epoch {e.State.Epoch}: accuracy {evaluator.State.Metric("accuracy"):F4}, loss {evaluator.State.Metric("loss"):F4}");
        });
        trainer.Run(data.Train, maxEpochs: options.Epochs, epochLength: options.Smoke ? 8 : null);
        return 0;
    }
}
