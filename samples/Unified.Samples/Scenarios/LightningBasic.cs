using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Lightning;

namespace Unified.Samples.Scenarios;

/// <summary>Basic Lightning: fit a LightningModule, then validate, test and predict with the trainer.</summary>
public static class LightningBasic
{
    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load(testFraction: 0.1);
        Seed.Everything(42);
        using var module = new LitClassifier(new DigitsMlp());
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = options.Epochs, MaxSteps = options.MaxSteps, LimitValBatches = options.ValBatches, LimitTestBatches = options.ValBatches,
            LimitPredictBatches = options.ValBatches, Accelerator = "cpu",
        });
        trainer.Fit(module, data);
        Console.WriteLine($"fit: {trainer.GlobalStep} steps, val_accuracy {trainer.CallbackMetrics["val_accuracy"]:F4}");
        var validated = trainer.Validate(module, data);
        var tested = trainer.Test(module, data);
        var predictions = trainer.Predict(module, data);
        Console.WriteLine($"validate: val_loss {validated["val_loss"]:F4}; test: test_accuracy {tested["test_accuracy"]:F4}; " +
            $"predict: {predictions.Sum(p => p.shape[0])} predictions, first {predictions[0][0].item<long>()}");
        foreach (var p in predictions) p.Dispose();
        return 0;
    }
}
