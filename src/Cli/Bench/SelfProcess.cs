using System.Diagnostics;

namespace Unified.Cli.Bench;

/// <summary>Runs this program again in a child process (for measurements that need a fresh process).</summary>
public static class SelfProcess
{
    /// <summary>
    /// How to start this program: its own executable, or <c>dotnet unified.dll</c> when it runs under <c>dotnet</c>
    /// or inside another host (a test process calling <see cref="UnifiedCli.Run"/>).
    /// </summary>
    public static ProcessStartInfo StartInfo()
    {
        string self = typeof(SelfProcess).Assembly.Location;
        string? host = Environment.ProcessPath;
        bool ownExecutable = host is not null && System.Reflection.Assembly.GetEntryAssembly() == typeof(SelfProcess).Assembly
            && Path.GetFileNameWithoutExtension(host) != "dotnet";
        var start = new ProcessStartInfo(ownExecutable ? host! : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? DotnetNextTo(host))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (!ownExecutable) start.ArgumentList.Add(self);
        return start;
    }

    static string DotnetNextTo(string? host) =>
        host is not null && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    /// <summary>Runs <c>unified</c> with <paramref name="args"/> and extra environment; returns the last line of its output.</summary>
    public static string RunLastLine(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = StartInfo();
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment) start.Environment[key] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{start.FileName}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'unified {string.Join(' ', args)}' did not finish within {timeout.TotalSeconds:F0} s.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"'unified {string.Join(' ', args)}' exited with {process.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Result.TrimEnd().Split('\n')[^1];
    }
}
