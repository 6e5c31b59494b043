using System.Diagnostics;
using Unified.Core.Runtime;
using Unified.Tuning;
using Unified.Tuning.Pruners;
using Unified.Tuning.Samplers;
using Unified.Tuning.Storages;
using Unified.Tuning.Visualization;

namespace Unified.Cli.Tune;

/// <summary>Runs <c>unified tune</c>: opens the storage, creates or continues the study, runs the trials, plots, reports.</summary>
public static class TuneRunner
{
    /// <summary>The files <c>--plots DIR</c> receives.</summary>
    public static IReadOnlyList<string> PlotFiles { get; } = ["optimization_history.png", "param_importances.png"];

    /// <summary>
    /// Runs <see cref="TuneSettings.Trials"/> trials; one line per finished trial goes to <paramref name="output"/>.
    /// Everything that can be refused (the storage, the study's direction, the plot folder) is checked before the
    /// first trial. <paramref name="cancellationToken"/> stops the search: the running trial is recorded as failed.
    /// </summary>
    /// <exception cref="UsageException">A storage that cannot be opened, or a study of that name with the other direction.</exception>
    public static TuneReport Run(TuneSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = settings.Threads });
        var direction = settings.Monitor == "val_loss" ? StudyDirection.Minimize : StudyDirection.Maximize;
        using var storage = OpenStorage(settings.Storage);
        Study study;
        try
        {
            study = Study.Create(settings.Study, direction, Sampler(settings), Pruner(settings), storage, loadIfExists: true);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"{e.Message} (--monitor val_accuracy maximises, val_loss minimises)");
        }

        var clock = Stopwatch.StartNew();
        var objective = new DigitsObjective(settings, cancellationToken);
        var mine = new List<FrozenTrial>();
        study.Optimize(objective.Evaluate, settings.Trials, callbacks:
        [
            (_, trial) =>
            {
                mine.Add(trial);
                output.WriteLine(TrialLine(trial, settings.Monitor));
                output.Flush();
            },
        ], cancellationToken: cancellationToken);

        var complete = study.GetTrials(TrialState.Complete);
        if (complete.Count == 0)
            throw new InvalidOperationException($"No trial of study '{study.Name}' completed ({string.Join("; ", mine.Select(FailReason).Distinct())}).");
        var written = settings.Plots is { } folder ? SavePlots(study, folder, error) : [];
        int trained = mine.Sum(t => t.IntermediateValues.Count);
        return new TuneReport(study.Name, direction.ToString().ToLowerInvariant(), settings.Monitor, settings.Storage, study.Trials, study.BestTrial,
            trained, settings.Trials * settings.Epochs, written, clock.Elapsed.TotalSeconds);
    }

    static IStorage OpenStorage(string uri)
    {
        try
        {
            return StorageUri.Open(uri);
        }
        catch (Exception e) when (e is ArgumentException or TimeoutException or InvalidDataException or IOException)
        {
            throw new UsageException($"--storage: {FirstLine(e.Message)}");
        }
    }

    static ISampler Sampler(TuneSettings settings)
    {
        // Optuna's samplers take a 32-bit seed; a larger --seed is folded into one.
        int seed = unchecked((int)settings.Seed ^ (int)(settings.Seed >> 32));
        return settings.Sampler == "random" ? new RandomSampler(seed) : new TpeSampler(seed);
    }

    static IPruner Pruner(TuneSettings settings) => settings.Pruner == "none" ? new NopPruner() : new MedianPruner();

    static List<string> SavePlots(Study study, string folder, TextWriter error)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        string history = Path.Combine(folder, PlotFiles[0]), importances = Path.Combine(folder, PlotFiles[1]);
        StudyPlots.SaveOptimizationHistory(study, history);
        written.Add(history);
        if (study.GetTrials(TrialState.Complete).Count >= 2)
        {
            StudyPlots.SaveParamImportances(study, importances);
            written.Add(importances);
        }
        else error.WriteLine($"warning: {PlotFiles[1]} needs two complete trials; the study has one, so it was not drawn.");
        return written;
    }

    static string TrialLine(FrozenTrial trial, string monitor)
    {
        string outcome = trial.State switch
        {
            TrialState.Complete => $"{monitor} {trial.Value:F4}",
            TrialState.Pruned => $"pruned after epoch {trial.IntermediateValues.Count} at {monitor} {trial.Value:F4}",
            _ => "failed: " + FailReason(trial),
        };
        return $"trial {trial.Number}  {TuneReport.Describe(trial)}  {outcome}";
    }

    static string FailReason(FrozenTrial trial) =>
        trial.SystemAttrs.TryGetValue("fail_reason", out var reason) ? FirstLine(reason.GetString() ?? "") : trial.State.ToString();

    static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd('\r', ' ');
}
