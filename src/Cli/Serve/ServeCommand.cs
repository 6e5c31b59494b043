using System.CommandLine;
using Microsoft.Extensions.Logging;
using Unified.Core.Models;
using Unified.Serving;

namespace Unified.Cli.Serve;

/// <summary><c>unified serve</c>: serves a model over HTTP until SIGTERM or Ctrl+C, then finishes the requests in flight.</summary>
public static class ServeCommand
{
    /// <summary>Builds the command; the listening line goes to <paramref name="output"/>, what is served to <paramref name="error"/>.</summary>
    public static Command Create(TextWriter output, TextWriter error)
    {
        var defaults = new ServingOptions();
        var model = new Option<string>("--model") { Description = "An .onnx file (from 'unified export'), or a checkpoint with --arch.", Required = true };
        var arch = new Option<string?>("--arch") { Description = $"For a checkpoint: the model it holds, {string.Join(" or ", DigitsModels.Names)} (served through TorchSharp)." };
        var host = new Option<string>("--host") { Description = "IP address to listen on.", DefaultValueFactory = _ => defaults.Host };
        var port = new Option<int>("--port") { Description = "TCP port; 0 picks a free one.", DefaultValueFactory = _ => defaults.Port };
        var noBatching = new Option<bool>("--no-batching") { Description = "Run every request on its own instead of micro-batching concurrent ones." };
        var maxBatch = new Option<int>("--max-batch-size") { Description = "Most rows per micro-batch.", DefaultValueFactory = _ => defaults.MaxBatchSize };
        var maxDelay = new Option<double>("--max-batch-delay-ms") { Description = "Longest wait of a batch's first request for others, in ms.", DefaultValueFactory = _ => defaults.MaxBatchDelay.TotalMilliseconds };
        var maxBytes = new Option<int>("--max-request-bytes") { Description = "Largest request body accepted.", DefaultValueFactory = _ => defaults.MaxRequestBytes };
        var maxRows = new Option<int>("--max-rows") { Description = "Most rows per request.", DefaultValueFactory = _ => defaults.MaxRows };
        var threads = new Option<int?>("--threads") { Description = "Inference threads (default: the runtime's)." };
        var shutdown = new Option<double>("--shutdown-timeout-s") { Description = "How long shutdown waits for requests in flight, in seconds.", DefaultValueFactory = _ => defaults.ShutdownTimeout.TotalSeconds };

        var command = new Command("serve", "Serve a model over HTTP: POST /predict, GET /health, GET /metrics, GET /openapi/v1.json.")
        {
            model, arch, host, port, noBatching, maxBatch, maxDelay, maxBytes, maxRows, threads, shutdown,
        };
        command.SetAction(parsed =>
        {
            string path = parsed.GetValue(model)!;
            if (!File.Exists(path)) throw new UsageException($"--model '{path}' does not exist.");
            string? architecture = parsed.GetValue(arch)?.Trim().ToLowerInvariant();
            if (architecture is not null && !DigitsModels.Names.Contains(architecture))
                throw new UsageException($"Unknown --arch '{architecture}'. Valid: {string.Join(", ", DigitsModels.Names)}.");
            var options = new ServingOptions
            {
                ModelPath = path,
                Architecture = architecture,
                Host = parsed.GetValue(host)!,
                Port = parsed.GetValue(port),
                Batching = !parsed.GetValue(noBatching),
                MaxBatchSize = parsed.GetValue(maxBatch),
                MaxBatchDelay = TimeSpan.FromMilliseconds(parsed.GetValue(maxDelay)),
                MaxRequestBytes = parsed.GetValue(maxBytes),
                MaxRows = parsed.GetValue(maxRows),
                Threads = parsed.GetValue(threads),
                ShutdownTimeout = TimeSpan.FromSeconds(parsed.GetValue(shutdown)),
            };
            options.Validate();
            return Run(options, output, error).GetAwaiter().GetResult();
        });
        return command;
    }

    static async Task<int> Run(ServingOptions options, TextWriter output, TextWriter error)
    {
        // Warnings and errors go to standard error; standard output carries the one line scripts wait for.
        await using var host = await ServingHost.StartAsync(options, logging => logging
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
            .SetMinimumLevel(LogLevel.Warning));
        error.WriteLine($"serving {host.Model}, micro-batching {(options.Batching ? $"up to {options.MaxBatchSize} rows / {options.MaxBatchDelay.TotalMilliseconds} ms" : "off")}");
        output.WriteLine($"listening on {host.Address.GetLeftPart(UriPartial.Authority)}");
        output.Flush();
        await host.WaitForShutdownAsync();
        return ExitCodes.Success;
    }
}
