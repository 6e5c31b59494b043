using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Unified.Cli.Tests;

/// <summary>
/// scripts/check_checkpoint.py (Debian's python3-torch) loads the weights of a checkpoint that <c>unified fit</c> wrote
/// into a PyTorch MLP and must get the validation accuracy Unified reported, within 1e-4. Skipped, saying why, when
/// /usr/bin/python3 has no torch (fails under CI, where the test command installs it).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class PythonCheckTests : IDisposable
{
    const string Python = "/usr/bin/python3";
    readonly string temp = Directory.CreateTempSubdirectory("unified-python-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    static string Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "scripts", "check_checkpoint.py");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("scripts/check_checkpoint.py was not found above the test folder.");
    }

    static (int Code, string Output, string Error) RunPython(params string[] args)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) { process.Kill(); throw new TimeoutException("python did not finish in 2 minutes"); }
        return (process.ExitCode, output.Result, error.Result);
    }

    [SkippableFact]
    public void CheckScript_LoadsTheCheckpointInPyTorch_AndGetsUnifiedsValAccuracy()
    {
        Unified.Testing.DebianPython.SkipUnlessAvailable("torch");
        var run = CliRun.Of("fit", "--epochs", "1", "--json", "--run-dir", Path.Combine(temp, "run"));
        Assert.True(run.ExitCode == 0, run.Error);
        var report = run.Json();
        double reported = report.GetProperty("val_accuracy").GetDouble();

        var (code, output, error) = RunPython(Script(), report.GetProperty("checkpoint").GetString()!,
            "--expected-val-accuracy", reported.ToString("R", System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(code == 0, $"check_checkpoint.py failed ({code}):\n{output}\n{error}");
        var check = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.True(check.GetProperty("matches").GetBoolean());
        Assert.Equal(2000, check.GetProperty("validation_samples").GetInt32());
        Assert.InRange(check.GetProperty("val_accuracy").GetDouble(), reported - 1e-4, reported + 1e-4);
    }
}
