using System.Diagnostics;
using Xunit;

namespace Unified.Samples.Tests;

/// <summary>Every scenario of samples/Unified.Samples runs green in its smoke mode (tiny limits), each in its own process.</summary>
public sealed class SampleSmokeTests
{
    static readonly string[] Names =
    [
        "lightning-basic", "ignite-basic", "validation-engine", "early-stopping", "exception-handling", "data-parallel", "grad-accumulation",
        "mixed-precision", "loggers", "custom-metric", "hparam-search", "export-serving", "custom-callback", "monitoring", "multi-node",
        "unified-trainer", "di-host", "config-run",
    ];

    public static TheoryData<string> Scenarios => new(Names);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario_InSmokeMode_ExitsWithZero(string scenario)
    {
        string work = Directory.CreateTempSubdirectory($"unified-smoke-{scenario}-").FullName;
        try
        {
            var run = Run("--scenario", scenario, "--smoke", "--out", work);

            Assert.True(run.Code == 0, $"exit {run.Code}\n{run.Output}\n{run.Error}");
            Assert.Contains($"{scenario}: ok", run.Output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void List_NamesEveryScenarioTheSmokeTestRuns()
    {
        var run = Run("--list");

        Assert.Equal(0, run.Code);
        var listed = run.Output.Split('\n').Skip(1).Select(l => l.Trim().Split(' ')[0]).Where(n => n.Length > 0).ToList();
        Assert.Equal(Names.Order(), listed.Order());
    }

    [Fact]
    public void UnknownScenario_ExitsWithTwo()
    {
        var run = Run("--scenario", "nope");

        Assert.Equal(2, run.Code);
        Assert.Contains("--list", run.Error);
    }

    static (int Code, string Output, string Error) Run(params string[] args)
    {
        // tests/Samples.Tests/bin/CONFIG/net10.0 -> samples/Unified.Samples/bin/CONFIG/net10.0
        var binary = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = binary.Parent!.Name, framework = binary.Name;
        string root = binary.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        string dll = Path.Combine(root, "samples", "Unified.Samples", "bin", configuration, framework, "Unified.Samples.dll");
        var start = new ProcessStartInfo(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["TERM"] = "dumb";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, output.Result, "timed out after 5 minutes\n" + error.Result);
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
