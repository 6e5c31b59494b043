using Unified.Core.Runtime;
using Unified.Samples.Scenarios;
using Unified.Samples.Scenarios.DiHost;

namespace Unified.Samples;

/// <summary>Picks a scenario by name and runs it in a fresh folder.</summary>
public static class SampleRunner
{
    /// <summary>Every scenario: name, what it shows, and its entry point.</summary>
    public static IReadOnlyList<(string Name, string Summary, Func<SampleOptions, int> Run)> Scenarios { get; } =
    [
        ("lightning-basic", "a LightningModule trained by the Trainer, then validate, test and predict", LightningBasic.Run),
        ("ignite-basic", "Ignite's create_supervised_trainer / evaluator with attached metrics", IgniteBasic.Run),
        ("validation-engine", "an Ignite evaluator run from the trainer's events (every N iterations and each epoch)", ValidationEngine.Run),
        ("early-stopping", "early stopping and best-k checkpoints through both front-ends", EarlyStoppingCheckpoints.Run),
        ("exception-handling", "Ignite's EXCEPTION_RAISED handler and Lightning's OnException", ExceptionHandling.Run),
        ("data-parallel", "2-rank data-parallel training through mpirun, both front-ends", DataParallel.Run),
        ("grad-accumulation", "gradient accumulation through both front-ends, same weights", GradientAccumulation.Run),
        ("mixed-precision", "bf16-mixed beside 32-true", MixedPrecision.Run),
        ("loggers", "CSV + TensorBoard (+ MLflow with --mlflow URL or MLFLOW_TRACKING_URI)", Loggers.Run),
        ("custom-metric", "a hand-written macro F1 metric in a LightningModule and attached to an Ignite evaluator", CustomMetric.Run),
        ("hparam-search", "an Optuna-style study over SQLite shared by Lightning and Ignite trials, with pruning", HyperparameterSearch.Run),
        ("export-serving", "export to ONNX and serve it over HTTP in-process", ExportServing.Run),
        ("custom-callback", "a Lightning Callback and the same logic as Ignite event handlers", CustomCallback.Run),
        ("monitoring", "the Unified.Training meter exported through OpenTelemetry", Monitoring.Run),
        ("multi-node", "a hostfile and the mpirun command for 2 nodes (prints it; --launch runs it)", MultiNode.Run),
        ("unified-trainer", "UnifiedTrainer choosing either front-end by name, same result", UnifiedTrainerChoice.Run),
        ("di-host", "a generic host: AddUnifiedTraining + Scrutor scanning, the trainer factory, a hosted job stopped by the host", DiHostApp.Run),
        ("config-run", "a LightningCLI-style run: unified fit --config run.yaml with an override", ConfigRun.Run),
    ];

    /// <summary>Parses <c>--scenario NAME</c>, <c>--smoke</c>, <c>--out DIR</c>, <c>--list</c>; other arguments go to the scenario.</summary>
    public static int Start(string[] args)
    {
        if (args.Contains("--list") || args.Length == 0)
        {
            Console.WriteLine("usage: dotnet run --project samples/Unified.Samples -c Release -- --scenario NAME [--smoke] [--out DIR]");
            foreach (var (scenarioName, summary, _) in Scenarios) Console.WriteLine($"  {scenarioName,-20} {summary}");
            return args.Length == 0 ? 2 : 0;
        }
        string? name = Value(args, "--scenario");
        var scenario = Scenarios.FirstOrDefault(s => s.Name == name);
        if (scenario.Run is null)
        {
            Console.Error.WriteLine($"error: --scenario '{name}' is not known; run with --list for the names.");
            return 2;
        }
        string? outDir = Value(args, "--out");
        if (outDir is not null && Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
        {
            Console.Error.WriteLine($"error: --out '{outDir}' is not empty; a sample writes only into a new or empty folder.");
            return 2;
        }
        string work = outDir ?? Directory.CreateTempSubdirectory($"unified-sample-{name}-").FullName;
        Directory.CreateDirectory(work);
        TorchRuntime.Initialize();
        var options = new SampleOptions(args.Contains("--smoke"), Path.GetFullPath(work), args);
        int code = scenario.Run(options);
        Console.WriteLine($"{name}: {(code == 0 ? "ok" : $"exit {code}")} (files in {options.WorkDir})");
        return code;
    }

    static string? Value(string[] args, string flag) => args.SkipWhile(a => a != flag).Skip(1).FirstOrDefault();
}
