using Unified.Core.Logging.Csv;
using Unified.Core.Logging.Mlflow;
using Unified.Core.Logging.TensorBoard;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Lightning;

namespace Unified.Samples.Scenarios;

/// <summary>
/// CSV, TensorBoard and MLflow loggers on one fit. MLflow needs a tracking server: pass <c>--mlflow http://127.0.0.1:5000</c>
/// or set MLFLOW_TRACKING_URI; without one that logger is skipped (with a message).
/// </summary>
public static class Loggers
{
    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        Seed.Everything(42);
        using var module = new LitClassifier(new DigitsMlp());
        module.Hyperparameters["lr"] = 1e-3;
        var trainerOptions = new TrainerOptions
        {
            MaxEpochs = options.Epochs, MaxSteps = options.MaxSteps, LimitValBatches = options.ValBatches, LogEveryNSteps = options.Smoke ? 2 : 50, Accelerator = "cpu",
        };
        trainerOptions.Loggers.Add(new CsvLogger(new CsvLoggerOptions { SaveDir = options.WorkDir }));
        trainerOptions.Loggers.Add(new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = options.WorkDir }));
        string? uri = options.Value("--mlflow") ?? Environment.GetEnvironmentVariable("MLFLOW_TRACKING_URI");
        if (uri is null) Console.WriteLine("mlflow: skipped (no --mlflow URL and no MLFLOW_TRACKING_URI)");
        else trainerOptions.Loggers.Add(new MlflowLogger(new MlflowLoggerOptions { TrackingUri = uri, ExperimentName = "unified-samples" }));
        new Trainer(trainerOptions).Fit(module, data);
        foreach (string file in Directory.GetFiles(options.WorkDir, "*", SearchOption.AllDirectories).Order())
            Console.WriteLine($"  {Path.GetRelativePath(options.WorkDir, file)}");
        Console.WriteLine($"view: tensorboard --logdir {options.WorkDir}");
        return 0;
    }
}
