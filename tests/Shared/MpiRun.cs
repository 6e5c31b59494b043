using System.Diagnostics;

namespace Unified.Testing;

/// <summary>
/// Runs a .NET program under <c>mpirun -np N</c> as a child process with a hard timeout (the whole process tree is
/// killed when it passes), capturing its output: how the multi-rank tests start their ranks.
/// </summary>
public sealed record MpiRun(int ExitCode, string Output, string Error, TimeSpan Elapsed, bool TimedOut)
{
    /// <summary>Everything the ranks and mpirun printed.</summary>
    public string AllOutput => Output + "\n" + Error;

    /// <summary>
    /// Starts <c>mpirun -np RANKS dotnet ASSEMBLY ARGS</c> with <paramref name="environment"/> passed to every rank (<c>-x</c>).
    /// </summary>
    public static MpiRun Start(int ranks, string assembly, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(FindMpirun()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-np", ranks.ToString(), "--oversubscribe", "--bind-to", "none" }) start.ArgumentList.Add(arg);
        if (Environment.UserName == "root") start.ArgumentList.Add("--allow-run-as-root");
        // mpirun gives ranks a pseudo-terminal; TERM=dumb keeps .NET from writing terminal escapes into their output.
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["TERM"] = "dumb" };
        foreach (var (key, value) in variables)
        {
            start.Environment[key] = value;
            start.ArgumentList.Add("-x");
            start.ArgumentList.Add(key);
        }
        start.ArgumentList.Add(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet");
        start.ArgumentList.Add(assembly);
        foreach (string arg in args) start.ArgumentList.Add(arg);

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start mpirun.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        bool timedOut = !process.WaitForExit(timeout);
        if (timedOut)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        return new MpiRun(timedOut ? -1 : process.ExitCode, output.Result, error.Result, clock.Elapsed, timedOut);
    }

    /// <summary>The mpirun on PATH.</summary>
    /// <exception cref="InvalidOperationException">Open MPI is not installed.</exception>
    public static string FindMpirun() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "mpirun")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("mpirun was not found on PATH: install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) to run the multi-rank tests.");

    /// <summary>A readable dump for assertion messages.</summary>
    public override string ToString() =>
        $"exit {ExitCode}{(TimedOut ? " (timed out)" : "")} after {Elapsed.TotalSeconds:F1} s\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}
