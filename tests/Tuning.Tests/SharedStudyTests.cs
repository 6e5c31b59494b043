using System.Diagnostics;
using Unified.Testing;
using Unified.Tuning.Storages;
using Xunit;

namespace Unified.Tuning.Tests;

/// <summary>
/// Three worker processes (<see cref="TuningWorker"/>) share one study through one storage: a real Redis server on
/// loopback, or one SQLite file.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class SharedStudyTests(RedisServer redis) : IDisposable
{
    readonly TempDirectory directory = new();

    string Uri(string kind, string query = "") => kind == "redis" ? redis.Uri(query: query) : "sqlite:///" + directory.File("shared.db") + query;

    Process Worker(string uri, string study, int trials, string mode, int total, int seed)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string arg in new[] { typeof(TuningWorker).Assembly.Location, uri, study, trials.ToString(), mode, directory.Path, total.ToString(), seed.ToString() })
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start a worker.");
    }

    static string Finish(Process worker)
    {
        var output = worker.StandardOutput.ReadToEndAsync();
        var error = worker.StandardError.ReadToEndAsync();
        if (!worker.WaitForExit(TimeSpan.FromSeconds(180)))
        {
            worker.Kill(entireProcessTree: true);
            throw new TimeoutException("A worker did not finish within 180 s: " + error.Result);
        }
        Assert.True(worker.ExitCode == 0, $"worker exit {worker.ExitCode}: {output.Result} {error.Result}");
        return output.Result.Trim();
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("sqlite")]
    public void ThreeWorkers_Run30Trials_NumberedWithoutGapsOrDuplicates(string kind)
    {
        string study = "shared-" + Guid.NewGuid().ToString("N");
        var workers = Enumerable.Range(0, 3).Select(i => Worker(Uri(kind), study, 10, "normal", 30, seed: i)).ToArray();
        var reports = workers.Select(Finish).ToArray();

        using var storage = StorageUri.Open(Uri(kind));
        var trials = Study.Load(study, storage).Trials;
        Assert.Equal(Enumerable.Range(0, 30), trials.Select(t => t.Number));
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal(3, trials.Select(t => t.UserAttrs["pid"].GetInt32()).Distinct().Count());
        var best = Study.Load(study, storage).BestTrial;
        Assert.All(reports, r => Assert.Equal($"best {best.Number} {best.Value!.Value:R}", r));
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("sqlite")]
    public void AWorkerKilledMidTrial_LeavesThatTrialFailed_AndTheOthersFinish(string kind)
    {
        string study = "killed-" + Guid.NewGuid().ToString("N"), uri = Uri(kind, "?heartbeat_interval=0.2&grace_period=3");
        using var victim = Worker(uri, study, 10, "hang", 21, seed: 9);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        string? marker;
        while ((marker = Directory.GetFiles(directory.Path, "hanging-*").FirstOrDefault()) is null)
        {
            Assert.True(DateTime.UtcNow < deadline && !victim.HasExited, "the hanging worker never started its trial: " + (victim.HasExited ? victim.StandardError.ReadToEnd() : ""));
            Thread.Sleep(50);
        }
        victim.Kill(entireProcessTree: true);
        victim.WaitForExit();
        // Past the grace period the victim's trial is stale for the survivors' first check. The period is 3 s, not
        // 1 s: a loaded machine delayed a live survivor's heartbeat past 1 s and its trial was failed too.
        Thread.Sleep(TimeSpan.FromSeconds(3.5));
        int killed = int.Parse(Path.GetFileName(marker)["hanging-".Length..]);

        var survivors = Enumerable.Range(0, 2).Select(i => Worker(uri, study, 10, "normal", 21, seed: i)).ToArray();
        var reports = survivors.Select(Finish).ToArray();

        using var storage = StorageUri.Open(uri);
        var trials = Study.Load(study, storage).Trials;
        Assert.Equal(Enumerable.Range(0, 21), trials.Select(t => t.Number));
        var dead = trials.Single(t => t.Number == killed);
        Assert.Equal(TrialState.Fail, dead.State);
        Assert.StartsWith("No heartbeat for more than 3 s", dead.SystemAttrs["fail_reason"].GetString());
        Assert.Equal(20, trials.Count(t => t.State == TrialState.Complete));
        Assert.Equal(reports[0], reports[1]);
    }

    public void Dispose() => directory.Dispose();
}
