using System.CommandLine;
using Unified.Adapters;
using Unified.Cli.Fit;

namespace Unified.Cli.Tune;

/// <summary><c>unified tune</c>: searches the digits MLP's learning rate, batch size and hidden width (Optuna-style study).</summary>
public static class TuneCommand
{
    /// <summary>Builds the command; results go to <paramref name="output"/>, warnings to <paramref name="error"/>.</summary>
    public static Command Create(TextWriter output, TextWriter error)
    {
        var framework = new Option<string>("--framework") { Description = "Front-end every trial trains through: lightning or ignite.", DefaultValueFactory = _ => Frameworks.Lightning };
        var trials = new Option<int>("--trials") { Description = "Trials this process runs (other workers of a shared study add theirs).", DefaultValueFactory = _ => 20 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs per trial (fewer when pruned).", DefaultValueFactory = _ => 3 };
        var storage = new Option<string>("--storage")
        {
            Description = "Where the study lives: memory (default), sqlite:///PATH.db (relative) or sqlite:////ABS/PATH.db, redis://HOST:PORT/DB. " +
                "Workers that share a persistent storage and a --study share one search.",
            DefaultValueFactory = _ => TuneSettings.DefaultStorage,
        };
        var study = new Option<string>("--study") { Description = "Study name; an existing study of that name is continued.", DefaultValueFactory = _ => "digits-mlp" };
        var sampler = new Option<string>("--sampler") { Description = "tpe (Optuna's defaults) or random.", DefaultValueFactory = _ => "tpe" };
        var pruner = new Option<string>("--pruner") { Description = "median (Optuna's MedianPruner defaults) or none.", DefaultValueFactory = _ => "median" };
        var monitor = new Option<string>("--monitor") { Description = "Metric reported each epoch and optimised: val_accuracy (maximised) or val_loss (minimised).", DefaultValueFactory = _ => "val_accuracy" };
        var seed = new Option<long>("--seed") { Description = "Seed of the sampler, of every trial's weights and of the data order.", DefaultValueFactory = _ => 42 };
        var limit = new Option<int?>("--limit-train-batches") { Description = "Train at most this many batches per epoch (default: the whole split)." };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads (default: one per core)." };
        var plots = new Option<string?>("--plots") { Description = "Folder for optimization_history.png and param_importances.png (created when missing; existing files are never replaced)." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line (study, trials, best)." };

        var command = new Command("tune", "Search the digits MLP's learning rate, batch size and hidden width (TPE, median pruning; SQLite or Redis for many workers).")
        {
            framework, trials, epochs, storage, study, sampler, pruner, monitor, seed, limit, threads, plots, json,
        };
        command.SetAction(parsed =>
        {
            var settings = new TuneSettings
            {
                Framework = parsed.GetValue(framework)!.Trim().ToLowerInvariant(),
                Trials = parsed.GetValue(trials),
                Epochs = parsed.GetValue(epochs),
                Storage = parsed.GetValue(storage)!.Trim(),
                Study = parsed.GetValue(study)!,
                Sampler = parsed.GetValue(sampler)!.Trim().ToLowerInvariant(),
                Pruner = parsed.GetValue(pruner)!.Trim().ToLowerInvariant(),
                Monitor = parsed.GetValue(monitor)!.Trim().ToLowerInvariant(),
                Seed = parsed.GetValue(seed),
                LimitTrainBatches = parsed.GetValue(limit),
                Threads = parsed.GetValue(threads),
                Plots = parsed.GetValue(plots),
                Json = parsed.GetValue(json),
            };
            settings.Validate();
            // A first SIGTERM or Ctrl+C stops the running trial at a step boundary; it is recorded as failed, and the
            // study, in a persistent storage, continues with the same --storage and --study.
            using var signals = new StopSignals(error) { Graceful = true };
            try
            {
                var report = TuneRunner.Run(settings, output, error, signals.Token);
                output.WriteLine(report.ToString());
                if (settings.Json) output.WriteLine(report.ToJson());
                return ExitCodes.Success;
            }
            catch (OperationCanceledException) when (signals.Received is { } signal)
            {
                error.WriteLine($"error: interrupted by {signal.Name}: the running trial was recorded as failed; continue the study with the same --storage and --study.");
                return signal.ExitCode;
            }
        });
        return command;
    }
}
