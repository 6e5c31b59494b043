using System.CommandLine;
using Unified.Cli.Bench;
using Unified.Cli.Export;
using Unified.Cli.Fit;
using Unified.Cli.Serve;
using Unified.Cli.Tune;
using Unified.Core.Distributed;
using Unified.Core.Runtime;
using Unified.Core.Training;

namespace Unified.Cli;

/// <summary>The <c>unified</c> program: parses the command line, runs the command, maps errors to exit codes.</summary>
public static class UnifiedCli
{
    /// <summary>The variable that, as <c>--verbose</c>, adds stack traces to error messages (also in Core and in the ranks of <c>--devices</c>).</summary>
    public const string TraceVariable = "UNIFIED_TRACE";

    /// <summary>
    /// Runs <c>unified</c> with <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.
    /// Every failure is one line <c>error: …</c> on <paramref name="error"/> (with the stack trace only under
    /// <c>--verbose</c>): exit code 2 for a command line or environment to fix, 1 for a run that failed.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // Dotted overrides of fit (--trainer.max_epochs 5) are not flags the parser knows: take them out first.
        var overrides = Config.FitOverrides.None;
        string[] parsable = args;
        if (args.Contains("fit")) overrides = Config.FitOverrides.Extract(args, out parsable);
        var verbose = new Option<bool>("--verbose") { Description = "On failure, also print the stack trace.", Recursive = true };
        var root = new RootCommand("Unified: train TorchSharp models through a Lightning-style or an Ignite-style front-end.")
        {
            FitCommand.Create(output, error, args, overrides),
            Evaluate.EvaluateCommand.Create("validate", output, error),
            Evaluate.EvaluateCommand.Create("test", output, error),
            Evaluate.EvaluateCommand.Create("predict", output, error),
            BenchCommand.Create(output, error),
            ExportCommand.Create(output),
            ServeCommand.Create(output, error),
            TuneCommand.Create(output, error),
        };
        root.Options.Add(verbose);
        var parsed = root.Parse(parsable);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors) error.WriteLine($"error: {parseError.Message}");
            error.WriteLine("Run 'unified --help' (or 'unified COMMAND --help') for usage.");
            return ExitCodes.Usage;
        }
        bool trace = parsed.GetValue(verbose);
        if (trace) Environment.SetEnvironmentVariable(TraceVariable, "1");
        try
        {
            // Set but unparsable variables are refused before any work, whether or not this command reads them.
            trace |= EnvironmentSettings.Flag(TraceVariable, defaultValue: false);
            _ = MallocTuning.Enabled;
            _ = new ProcessGroupOptions().Timeout;
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Report(e, error, trace);
        }
    }

    /// <summary>Reports <paramref name="failure"/> as one line (under an MPI launch by rank 0 only, naming it) and returns the exit code.</summary>
    static int Report(Exception failure, TextWriter error, bool trace)
    {
        int code = failure switch
        {
            UsageException or ArgumentException or InvalidEnvironmentVariableException => ExitCodes.Usage,
            OperationCanceledException => ExitCodes.Interrupted,
            _ => ExitCodes.Failure,
        };
        // Every rank meets the same bad input: one report is enough, and whole lines do not interleave.
        var launch = LaunchEnvironment.Current();
        if (launch.IsMpiLaunch && launch.Rank != 0 && !trace) return code;
        string rank = launch.IsMpiLaunch ? $"rank {launch.Rank} of {launch.WorldSize}: " : "";
        string message = failure is OperationCanceledException and not FitInterruptedException
            ? "interrupted (SIGTERM or Ctrl+C) before the run finished."
            : OneLine(failure);
        error.Write($"error: {rank}{message}{Environment.NewLine}{(trace ? failure + Environment.NewLine : "")}");
        error.Flush();
        return code;
    }

    // The first line of the message, without .NET's parameter suffix; libtorch appends its C++ stack trace after it.
    static string OneLine(Exception e)
    {
        if (e is NonFiniteLossException loss)
            return $"the training loss is {loss.Loss} at optimiser step {loss.GlobalStep}: lower --lr, clip gradients with --clip-grad, " +
                "check the data for NaN or infinite values, or pass --skip-non-finite-loss to skip such steps.";
        string message = (e is TypeInitializationException && e.InnerException is { } inner ? inner : e).Message;
        string first = message.Split('\n', 2)[0].TrimEnd('\r', ' ');
        int parameter = first.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (parameter > 0) first = first[..parameter];
        if (e is ArgumentException or UsageException or IOException or InvalidDataException or InvalidOperationException) return first;
        return $"{first} ({e.GetType().Name}; rerun with --verbose for the stack trace)";
    }
}
