using TorchSharp;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite;
using Unified.Lightning;
using Unified.Tuning;
using Unified.Tuning.Integrations;
using Unified.Tuning.Pruners;
using Unified.Tuning.Samplers;
using Unified.Tuning.Storages;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>
/// Hyper-parameter search as Optuna does it: one study in a SQLite file, whose trials pick the front-end too, so
/// Lightning trials (pruned by LightningPruningCallback) and Ignite trials (pruned by IgnitePruningHandler) share
/// one sampler history. Another process could join with Study.Create(..., loadIfExists: true) on the same file.
/// </summary>
public static class HyperparameterSearch
{
    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        int trials = options.Smoke ? 2 : 12, epochs = options.Smoke ? 1 : 3;
        int? batches = options.Smoke ? 4 : 40;
        using var storage = new SqliteStorage(Path.Combine(options.WorkDir, "study.db"));
        var study = Study.Create("digits-lr", StudyDirection.Minimize, new TpeSampler(seed: 1, startupTrials: 4), new MedianPruner(), storage);

        double Objective(Trial trial)
        {
            string framework = trial.SuggestCategorical("framework", new[] { "lightning", "ignite" });
            double lr = trial.SuggestFloat("lr", 1e-4, 1e-2, log: true);
            Seed.Everything(42);
            if (framework == "lightning")
            {
                using var module = new LitClassifier(new DigitsMlp(), lr);
                var trainerOptions = new TrainerOptions { MaxEpochs = epochs, LimitTrainBatches = batches, LimitValBatches = batches, NumSanityValSteps = 0, Accelerator = "cpu" };
                trainerOptions.Callbacks.Add(new LightningPruningCallback(trial, "val_loss"));
                var trainer = new Trainer(trainerOptions);
                trainer.Fit(module, data);
                return trainer.CallbackMetrics["val_loss"];
            }
            using var model = new DigitsMlp();
            var engine = Supervised.CreateTrainer(model, optim.Adam(model.parameters(), lr), (logits, y) => nn.functional.cross_entropy(logits, y),
                new SupervisedTrainerOptions { Accelerator = "cpu" });
            using var loss = new Loss((logits, y) => nn.functional.cross_entropy(logits, y));
            var evaluator = Supervised.CreateEvaluator(model, new Dictionary<string, Metric> { ["loss"] = loss }, accelerator: "cpu");
            engine.On(Events.EpochCompleted, _ => evaluator.Run(data.Validation!, epochLength: batches));
            new IgnitePruningHandler(trial, "loss", engine).Attach(evaluator);
            engine.Run(data.Train, maxEpochs: epochs, epochLength: batches);
            return evaluator.State.Metric("loss");
        }

        study.Optimize(Objective, nTrials: trials);
        foreach (var trial in study.Trials)
            Console.WriteLine($"trial {trial.Number}: {trial.State,-8} {trial.Value?.ToString("F4") ?? "-",8}  {string.Join(", ", trial.Params.Select(p => $"{p.Key}={p.Value}"))}");
        Console.WriteLine($"best: trial {study.BestTrial.Number}, val_loss {study.BestValue:F4}, {string.Join(", ", study.BestParams.Select(p => $"{p.Key}={p.Value}"))}");
        return 0;
    }
}
