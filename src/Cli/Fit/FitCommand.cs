using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Unified.Adapters;
using Unified.Cli.Launch;
using Unified.Core.Distributed;

namespace Unified.Cli.Fit;

/// <summary><c>unified fit</c>: trains a digit classifier through either front-end.</summary>
public static class FitCommand
{
    /// <summary>
    /// Builds the command; results go to <paramref name="output"/>, warnings to <paramref name="error"/>.
    /// <paramref name="args"/> is the whole command line, which <c>--devices N</c> passes to the N ranks it starts through mpirun.
    /// </summary>
    public static Command Create(TextWriter output, TextWriter error, IReadOnlyList<string> args)
    {
        var framework = new Option<string>("--framework") { Description = "Front-end: lightning or ignite.", DefaultValueFactory = _ => Frameworks.Lightning };
        var model = new Option<string>("--model") { Description = "Model: mlp (784-256-10) or cnn.", DefaultValueFactory = _ => "mlp" };
        var data = new Option<string>("--data") { Description = "'digits' (bundled 10,000 MNIST digits) or a path to MNIST IDX files.", DefaultValueFactory = _ => "digits" };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 3 };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per batch.", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 1e-3 };
        var seed = new Option<long>("--seed") { Description = "Seed of weights and data order.", DefaultValueFactory = _ => 42 };
        var accelerator = new Option<string>("--accelerator") { Description = "cpu, cuda or auto.", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads (default: one per core, shared among the ranks of --devices)." };
        var devices = new Option<int?>("--devices") { Description = "Train data-parallel on N processes of this machine, started through mpirun (default 1; under an external 'mpirun -np N', its N)." };
        var precision = new Option<string>("--precision") { Description = $"Numerics: {string.Join(", ", Core.Numerics.PrecisionPlugins.Names)}.", DefaultValueFactory = _ => "32-true" };
        var accumulate = new Option<int>("--accumulate") { Description = "Micro-batches per optimiser step.", DefaultValueFactory = _ => 1 };
        var clipGrad = new Option<double?>("--clip-grad") { Description = "Clip gradients to this total norm." };
        var skipNonFinite = new Option<bool>("--skip-non-finite-loss") { Description = "Skip optimiser steps whose loss is NaN or infinite instead of failing." };
        var maxSteps = new Option<long?>("--max-steps") { Description = "Stop after this many optimiser steps (the epoch's end still runs)." };
        var ckptEvery = new Option<int?>("--ckpt-every-n-steps") { Description = "Also write a resumable last.ckpt every N optimiser steps (always after every epoch)." };
        var resume = new Option<string?>("--resume") { Description = "Resume from this checkpoint, up to the same --epochs / --max-steps as an uninterrupted run." };
        var runDir = new Option<string?>("--run-dir") { Description = "Run folder (default: runs/version_N)." };
        var logger = new Option<string[]>("--logger")
        {
            Description = "Experiment logger besides csv (metrics.csv and hparams.yaml, always written into the run folder): tensorboard " +
                "(events.out.tfevents.* in the run folder) or mlflow (the tracking server in MLFLOW_TRACKING_URI). Repeat for several.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };

        var command = new Command("fit", "Train a digit classifier (defaults: MLP, 3 epochs, bundled digits).")
        {
            framework, model, data, epochs, batchSize, lr, seed, accelerator, devices, threads, precision, accumulate, clipGrad, skipNonFinite, maxSteps, ckptEvery, resume, runDir, logger, json,
        };
        command.SetAction(parsed =>
        {
            var settings = new FitSettings
            {
                Framework = parsed.GetValue(framework)!.Trim().ToLowerInvariant(),
                Model = parsed.GetValue(model)!.Trim().ToLowerInvariant(),
                Data = parsed.GetValue(data)!,
                Epochs = parsed.GetValue(epochs),
                BatchSize = parsed.GetValue(batchSize),
                LearningRate = parsed.GetValue(lr),
                Seed = parsed.GetValue(seed),
                Accelerator = parsed.GetValue(accelerator)!.Trim().ToLowerInvariant(),
                Threads = parsed.GetValue(threads),
                Devices = parsed.GetValue(devices),
                Precision = parsed.GetValue(precision)!,
                Accumulate = parsed.GetValue(accumulate),
                ClipGrad = parsed.GetValue(clipGrad),
                SkipNonFiniteLoss = parsed.GetValue(skipNonFinite),
                MaxSteps = parsed.GetValue(maxSteps),
                CkptEveryNSteps = parsed.GetValue(ckptEvery),
                Resume = parsed.GetValue(resume),
                RunDir = parsed.GetValue(runDir),
                Loggers = (parsed.GetValue(logger) ?? []).SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    .Select(l => l.ToLowerInvariant()).ToList(),
                Json = parsed.GetValue(json),
            };
            settings.Validate();
            if (settings.Devices is int ranks && ranks > 1 && !LaunchEnvironment.Current().IsMpiLaunch)
            {
                var rankArgs = args.ToList();
                if (settings.Threads is null) rankArgs.AddRange(["--threads", MpiLauncher.ThreadsPerRank(ranks).ToString(CultureInfo.InvariantCulture)]);
                return MpiLauncher.Run(ranks, rankArgs, output, error);
            }
            // SIGTERM, Ctrl+C and SIGUSR1 (what --devices forwards through mpirun) cancel at the next step boundary, after
            // which last.ckpt is saved; under data parallelism every rank stops at the same one.
            // Only rank 0 reports a stop: mpirun ends the other ranks with SIGTERM once one has failed.
            var launch = LaunchEnvironment.Current();
            var signals = new StopSignals(launch.IsMpiLaunch && launch.Rank != 0 ? TextWriter.Null : error);
            try
            {
                var report = FitRunner.Run(settings, output, error, signals);
                if (settings.Json && report is not null) output.WriteLine(report.ToJson());
                return ExitCodes.Success;
            }
            catch (FitInterruptedException stopped) when (signals.Received is { } signal)
            {
                error.WriteLine($"error: interrupted by {signal.Name}: stopped at a step boundary and saved a resumable checkpoint; continue with --resume {stopped.Checkpoint}");
                return signal.ExitCode;
            }
            finally
            {
                // A rank keeps its handlers until it exits: mpirun may forward the launcher's stop signal after the fit,
                // whose default action would end the rank with 138 instead of the code it reports.
                if (!launch.IsMpiLaunch) signals.Dispose();
            }
        });
        return command;
    }
}
