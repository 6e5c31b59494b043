using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Unified.Adapters;
using Unified.Cli.Config;
using Unified.Cli.Launch;
using Unified.Core.Distributed;

namespace Unified.Cli.Fit;

/// <summary><c>unified fit</c>: trains a digit classifier through either front-end.</summary>
public static class FitCommand
{
    /// <summary>
    /// Builds the command; results go to <paramref name="output"/>, warnings to <paramref name="error"/>.
    /// <paramref name="args"/> is the whole command line, which <c>--devices N</c> passes to the N ranks it starts through mpirun;
    /// <paramref name="overrides"/> are its dotted overrides (<c>--trainer.max_epochs 5</c>), taken out before parsing.
    /// Settings resolve in one order: defaults, then <c>--config FILE</c>, then dotted overrides and flags (which must agree).
    /// </summary>
    public static Command Create(TextWriter output, TextWriter error, IReadOnlyList<string> args, FitOverrides? overrides = null)
    {
        var flags = FitKeys.All.Select(key => (Key: key, Option: CreateOption(key))).ToList();
        var config = new Option<string?>("--config") { Description = "Read settings from a YAML or JSON file (LightningCLI style: trainer, model, data, optimizer, callbacks); flags and dotted overrides such as --trainer.max_epochs 5 override it." };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the resolved configuration as YAML and exit." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };

        var command = new Command("fit", "Train a digit classifier (defaults: MLP, 3 epochs, bundled digits).");
        foreach (var (_, option) in flags) command.Options.Add(option);
        command.Options.Add(config);
        command.Options.Add(printConfig);
        command.Options.Add(json);
        command.SetAction(parsed =>
        {
            var settings = Resolve(parsed, flags, parsed.GetValue(config), overrides ?? FitOverrides.None) with { Json = parsed.GetValue(json) };
            if (parsed.GetValue(printConfig))
            {
                output.Write(FitConfigWriter.ToYaml(settings));
                return ExitCodes.Success;
            }
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

    // One option per key: booleans are switches, lists repeat, the rest are read by FitValues (so flags and config agree on types).
    static Option CreateOption(FitKey key)
    {
        object? fallback = key.Get(new FitSettings());
        string description = $"{key.Description}{(fallback is null or bool or IReadOnlyList<string> ? "" : $" Default: {FitValues.Write(fallback).Trim('"')}.")} Config: {key.Path}.";
        return key.Kind switch
        {
            FitValueKind.Boolean => new Option<bool>(key.Flag) { Description = description },
            FitValueKind.List => new Option<string[]>(key.Flag) { Description = description, Arity = ArgumentArity.ZeroOrMore },
            _ => new Option<string>(key.Flag) { Description = description },
        };
    }

    static FitSettings Resolve(ParseResult parsed, IReadOnlyList<(FitKey Key, Option Option)> flags, string? configPath, FitOverrides overrides)
    {
        var settings = new FitSettings();
        var origin = new Dictionary<FitKey, string>();
        if (configPath is not null)
        {
            foreach (var (key, value) in FitConfigFile.Load(configPath))
            {
                settings = key.Set(settings, value);
                origin[key] = $"{key.Path} in '{configPath}'";
            }
        }
        var dotted = overrides.Values();
        var given = new Dictionary<FitKey, object?>();
        foreach (var (key, option) in flags)
        {
            if (parsed.GetResult(option) is not { Implicit: false }) continue;
            given[key] = option switch
            {
                Option<bool> flag => parsed.GetValue(flag),
                Option<string[]> list => (IReadOnlyList<string>)(parsed.GetValue(list) ?? []).SelectMany(l => (string[])FitValues.Read(key, l, key.Flag)!).ToList(),
                Option<string> text => FitValues.Read(key, parsed.GetValue(text), key.Flag),
                _ => throw new InvalidOperationException($"Unexpected option type for {key.Flag}."),
            };
        }
        foreach (var (key, value) in dotted)
        {
            if (given.TryGetValue(key, out var flagValue) && FitValues.Write(flagValue) != FitValues.Write(value))
                throw new UsageException($"{key.Flag} {FitValues.Write(flagValue)} and {key.Override} {FitValues.Write(value)} set the same value differently; give one of them.");
            settings = key.Set(settings, value);
            origin[key] = key.Override;
        }
        foreach (var (key, value) in given)
        {
            settings = key.Set(settings, value);
            origin.Remove(key);
        }
        try
        {
            settings.Validate();
        }
        catch (UsageException e) when (FitKeys.All.FirstOrDefault(k => e.Message.StartsWith(k.Flag + " ", StringComparison.Ordinal)) is { } key && origin.TryGetValue(key, out var where))
        {
            throw new UsageException($"{where}: {e.Message}");
        }
        return settings;
    }
}
