using System.CommandLine;
using Unified.Cli.Bench;
using Unified.Cli.Export;
using Unified.Cli.Fit;
using Unified.Cli.Serve;

namespace Unified.Cli;

/// <summary>The <c>unified</c> program: parses the command line, runs the command, maps errors to exit codes.</summary>
public static class UnifiedCli
{
    /// <summary>Runs <c>unified</c> with <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Unified: train TorchSharp models through a Lightning-style or an Ignite-style front-end.")
        {
            FitCommand.Create(output, error, args),
            BenchCommand.Create(output, error),
            ExportCommand.Create(output),
            ServeCommand.Create(output, error),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors) error.WriteLine($"error: {parseError.Message}");
            error.WriteLine("Run 'unified --help' (or 'unified COMMAND --help') for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("error: interrupted (SIGTERM or Ctrl+C) before the run finished.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is UsageException or ArgumentException)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            if (Environment.GetEnvironmentVariable("UNIFIED_TRACE") == "1") error.WriteLine(e);
            return ExitCodes.Failure;
        }
    }
}
