using Microsoft.Extensions.Logging;
using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Core.Logging.Mlflow;
using Unified.Core.Logging.TensorBoard;

namespace Unified.Cli.Fit;

/// <summary>The experiment loggers <c>--logger</c> asks for, writing into the run folder.</summary>
public static class FitLoggers
{
    /// <summary>The names <c>--logger</c> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["csv", "tensorboard", "mlflow"];

    /// <summary>
    /// Checks what needs no run folder before any file is written: the MLflow tracking URI from
    /// <c>MLFLOW_TRACKING_URI</c>. Throws <see cref="UsageException"/> when it is missing or not http(s).
    /// </summary>
    public static MlflowLogger? CreateMlflow(FitSettings settings, string runName, ILoggerFactory logs)
    {
        if (!settings.Loggers.Contains("mlflow")) return null;
        try
        {
            var options = new MlflowLoggerOptions { ExperimentName = "unified", RunName = runName, LoggerFactory = logs };
            options.Tags["unified.framework"] = settings.Framework;
            return new MlflowLogger(options);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--logger mlflow: {e.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    /// <summary>
    /// The loggers for <paramref name="runDir"/>: always <c>metrics.csv</c> and <c>hparams.yaml</c> (csv, the run
    /// folder's standard files); an <c>events.out.tfevents.*</c> file (tensorboard) straight in the run folder; and
    /// <paramref name="mlflow"/>, when asked for.
    /// </summary>
    public static List<IExperimentLogger> Create(FitSettings settings, string runDir, MlflowLogger? mlflow)
    {
        var loggers = new List<IExperimentLogger>();
        foreach (string name in settings.Loggers.Contains("csv") ? settings.Loggers : ["csv", .. settings.Loggers])
        {
            loggers.Add(name switch
            {
                "csv" => new CsvLogger(new CsvLoggerOptions { SaveDir = runDir, Name = null, Version = "" }),
                "tensorboard" => new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = runDir, Name = null, Version = "" }),
                "mlflow" => mlflow!,
                _ => throw new UsageException($"--logger '{name}' is not known; use one of: {string.Join(", ", Names)}."),
            });
        }
        return loggers;
    }
}
