using System.Diagnostics;

namespace Unified.Cli.Bench;

/// <summary>Runs this program again in a child process (for measurements that need a fresh process).</summary>
public static class SelfProcess
{
    /// <summary>Runs <c>unified</c> with <paramref name="args"/> and extra environment; returns the last line of its output.</summary>
    public static string RunLastLine(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's executable to start a child process.");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Under 'dotnet unified.dll' the host is dotnet itself and the program is the entry assembly.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(SelfProcess).Assembly.Location);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment) start.Environment[key] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{host}'.");
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
