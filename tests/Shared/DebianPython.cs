using System.Diagnostics;

namespace Unified.Testing;

/// <summary>Runs Debian's <c>/usr/bin/python3</c> (the one with python3-protobuf and PyYAML) for independent checks.</summary>
public static class DebianPython
{
    /// <summary>The interpreter's path.</summary>
    public const string Path = "/usr/bin/python3";

    /// <summary>The repository root (where <c>scripts/</c> lives), found upwards from the test assembly.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Unified.sln"))) return dir.FullName;
            throw new InvalidOperationException("Unified.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Why the checks cannot run here (no interpreter, or it lacks <paramref name="module"/>), or null when they can.</summary>
    public static string? Unavailable(string module)
    {
        if (!File.Exists(Path)) return $"{Path} is not installed (apt-get install python3 python3-protobuf python3-yaml).";
        var (code, _, error) = Run("-c", $"import {module}");
        return code == 0 ? null : $"{Path} lacks the module '{module}' (apt-get install python3-protobuf python3-yaml): {error.Trim()}";
    }

    /// <summary>
    /// Skips the calling test, saying why, when the checks cannot run here; under CI (<c>CI=true</c>) fails instead,
    /// since the test command installs the interpreter and its modules and a skipped check there is a lost check.
    /// </summary>
    public static void SkipUnlessAvailable(string module)
    {
        if (Unavailable(module) is not { } why) return;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"CI=true, but {why} Run the tests through scripts/test.sh, which installs it.");
        Xunit.Skip.If(true, why);
    }

    /// <summary>Runs the interpreter with <paramref name="arguments"/>; returns its exit code and output (60 s at most).</summary>
    public static (int ExitCode, string Output, string Error) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path} {string.Join(' ', arguments)} did not finish within 60 s.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
