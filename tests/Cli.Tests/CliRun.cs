using Xunit;
using System.Text.Json;

namespace Unified.Cli.Tests;

/// <summary>Runs <c>unified</c> in-process and captures what it prints.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static CliRun Of(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = UnifiedCli.Run(args, output, error);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>The last line of standard output, parsed as the JSON contract requires.</summary>
    public JsonElement Json()
    {
        string last = Output.TrimEnd().Split('\n')[^1];
        return JsonDocument.Parse(last).RootElement;
    }
}
