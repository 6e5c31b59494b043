using Unified.Cli;

namespace Unified.Samples.Scenarios;

/// <summary>
/// A LightningCLI-style run: <c>unified fit --config run.yaml</c> with a dotted override, then the run folder's
/// config.yaml repeats it. The same as: <c>dotnet run --project src/Cli -c Release -- fit --config samples/Unified.Samples/run.yaml</c>.
/// </summary>
public static class ConfigRun
{
    public static int Run(SampleOptions options)
    {
        string config = Path.Combine(AppContext.BaseDirectory, "run.yaml");
        string[] limits = options.Smoke ? ["--trainer.max_steps", "6"] : [];
        string first = Path.Combine(options.WorkDir, "first"), again = Path.Combine(options.WorkDir, "again");
        Console.WriteLine($"$ unified fit --config {config} --print-config {string.Join(' ', limits)}");
        int code = UnifiedCli.Run(["fit", "--config", config, "--print-config", .. limits], Console.Out, Console.Error);
        if (code == 0) code = UnifiedCli.Run(["fit", "--config", config, .. limits, "--run-dir", first], Console.Out, Console.Error);
        Console.WriteLine($"$ unified fit --config {Path.Combine(first, "config.yaml")}   (repeats the run)");
        if (code == 0) code = UnifiedCli.Run(["fit", "--config", Path.Combine(first, "config.yaml"), "--run-dir", again], Console.Out, Console.Error);
        return code;
    }
}
