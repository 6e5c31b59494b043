using System.Text.Json;
using Microsoft.Extensions.Logging;
using Unified.Core.Checkpointing;
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
    /// The MLflow logger, when asked for, with the tracking URI from <c>MLFLOW_TRACKING_URI</c>; <paramref name="runId"/>
    /// continues that run (a resume). Throws <see cref="UsageException"/> when the URI is missing or not http(s).
    /// </summary>
    public static MlflowLogger? CreateMlflow(FitSettings settings, string runName, string? runId, ILoggerFactory logs)
    {
        if (!settings.Loggers.Contains("mlflow")) return null;
        try
        {
            var options = new MlflowLoggerOptions { ExperimentName = "unified", RunName = runName, RunId = runId, LoggerFactory = logs };
            options.Tags["unified.framework"] = settings.Framework;
            return new MlflowLogger(options);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--logger mlflow: {e.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    /// <summary>Checks, before the run folder is claimed, that <c>--logger mlflow</c> has a usable tracking URI.</summary>
    /// <exception cref="UsageException">The URI is missing or not http(s).</exception>
    public static void CheckMlflow(FitSettings settings)
    {
        if (!settings.Loggers.Contains("mlflow")) return;
        try
        {
            MlflowLogger.ResolveTrackingUri(null);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--logger mlflow: {e.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    /// <summary>The file in the run folder that names the MLflow run, so that a resume continues it.</summary>
    public const string MlflowRunFile = "mlflow.json";

    /// <summary>The MLflow run id a previous fit in <paramref name="runDir"/> logged to, or null.</summary>
    public static string? SavedMlflowRun(string runDir)
    {
        string path = Path.Combine(runDir, MlflowRunFile);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("run_id").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{path}' is damaged ({e.Message}); it should name the run as {{\"run_id\": \"...\"}}.", e);
        }
    }

    /// <summary>Records <paramref name="mlflow"/>'s run in <paramref name="runDir"/> once it exists on the server (first fit of the run only).</summary>
    public static void SaveMlflowRun(string runDir, MlflowLogger mlflow)
    {
        string path = Path.Combine(runDir, MlflowRunFile);
        if (mlflow.RunId is not { } runId || File.Exists(path)) return;
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, new Dictionary<string, string?>
        {
            ["tracking_uri"] = mlflow.TrackingUri.ToString(), ["experiment_id"] = mlflow.ExperimentId, ["run_id"] = runId,
        }));
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
