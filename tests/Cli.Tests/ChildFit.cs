using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Unified.Cli.Tests;

/// <summary>Runs the built <c>unified</c> assembly as a child process (<c>dotnet unified.dll ...</c>), so that tests can signal and kill it.</summary>
public sealed class ChildFit : IDisposable
{
    readonly Process process;
    readonly StringBuilder output = new(), error = new();

    ChildFit(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (error) error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The unified.dll next to the test assembly (copied there as a project reference).</summary>
    public static string Assembly => Path.Combine(AppContext.BaseDirectory, "unified.dll");

    /// <summary>Starts <c>dotnet unified.dll</c> with <paramref name="args"/> and extra environment variables.</summary>
    public static ChildFit Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Assembly);
        foreach (string arg in args) info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return new ChildFit(Process.Start(info)!);
    }

    /// <summary>Whether the child has exited.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>Standard output so far.</summary>
    public string Output { get { lock (output) return output.ToString(); } }

    /// <summary>Standard error so far.</summary>
    public string Error { get { lock (error) return error.ToString(); } }

    /// <summary>Waits for the exit (at most <paramref name="timeout"/>) and returns the exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill();
            throw new TimeoutException($"unified did not exit within {timeout}. Output:\n{Output}\nError:\n{Error}");
        }
        process.WaitForExit(); // drains the output readers
        return process.ExitCode;
    }

    /// <summary>SIGKILL: the process dies at once, wherever it is.</summary>
    public void Kill()
    {
        process.Kill();
        process.WaitForExit();
    }

    /// <summary>Sends <paramref name="signal"/> (15 = SIGTERM, 2 = SIGINT).</summary>
    public void Signal(int signal)
    {
        if (SendSignal(process.Id, signal) != 0) throw new InvalidOperationException($"kill({process.Id}, {signal}) failed.");
    }

    /// <summary>The last line of standard output as JSON.</summary>
    public JsonElement Json() => JsonDocument.Parse(Output.TrimEnd().Split('\n')[^1]).RootElement;

    /// <inheritdoc />
    public void Dispose()
    {
        if (!process.HasExited) process.Kill();
        process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill")]
    static extern int SendSignal(int pid, int signal);
}
