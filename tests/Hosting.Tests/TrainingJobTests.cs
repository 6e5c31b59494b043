using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Unified.Hosting.Tests.Scanned;
using Unified.Testing;
using Xunit;

namespace Unified.Hosting.Tests;

/// <summary>
/// The hosted training job: stopping the host cancels the fit at a step boundary and leaves last.ckpt; the next start
/// resumes from it and ends bitwise-equal to a job that was never stopped (the resume semantics of Lightning's
/// fit(ckpt_path=...) and Ignite's Checkpoint.load_objects + run, which the front-ends' own resume tests check).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainingJobTests
{
    sealed record Outcome(TrainingJobState State, string? Checkpoint, string? WeightsSha256, long Batches, HealthStatus Health);

    static async Task<Outcome> RunJob(string framework, string dir, int? stopAtBatch)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Unified:Framework"] = framework,
            ["Unified:Trainer:MaxEpochs"] = "2",
            ["Unified:Trainer:Seed"] = "42",
            ["Unified:Trainer:Accelerator"] = "cpu",
            ["Unified:Trainer:CheckpointDir"] = dir,
        });
        builder.Services.AddSingleton<Calls>();
        builder.Services.AddUnifiedTraining(builder.Configuration).ScanNamespaceOf<DigitsClassifier>().AddTrainingJob<DigitsClassifier, SmallDigits>();
        using var host = builder.Build();
        var status = host.Services.GetRequiredService<ITrainingJobStatus>();
        Task? stopping = null;
        if (stopAtBatch is int k)
            host.Services.GetRequiredService<Calls>().OnStep = n =>
            {
                if (n != k) return;
                stopping = Task.Run(() => host.StopAsync());
                // Hold this batch until the job has seen the stop, so that it stops inside the run, not after its end.
                Assert.True(SpinWait.SpinUntil(() => status.State == TrainingJobState.Stopping, TimeSpan.FromMinutes(1)), "The job never saw the host stop.");
            };
        await host.StartAsync();
        await status.Finished.WaitAsync(TimeSpan.FromMinutes(5));
        var health = (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Status;
        await (stopping ?? host.StopAsync());
        return new Outcome(status.State, status.Checkpoint, status.WeightsSha256, status.Batches, health);
    }

    [Theory]
    [InlineData("lightning")]
    [InlineData("ignite")]
    public async Task HostStop_LeavesACheckpoint_ThatTheNextStartResumesToTheWeightsOfAnUninterruptedJob(string framework)
    {
        using var temp = new TempDirectory();
        var uninterrupted = await RunJob(framework, temp.File("full"), stopAtBatch: null);
        Assert.Equal((TrainingJobState.Completed, 40L), (uninterrupted.State, uninterrupted.Batches));

        // 13 of 20 batches into the first epoch.
        var stopped = await RunJob(framework, temp.File("stopped"), stopAtBatch: 13);
        Assert.Equal(TrainingJobState.Cancelled, stopped.State);
        Assert.Null(stopped.WeightsSha256);
        Assert.True(File.Exists(stopped.Checkpoint), $"No checkpoint at {stopped.Checkpoint}.");
        Assert.InRange(stopped.Batches, 13, 39);
        Assert.Equal(HealthStatus.Healthy, stopped.Health);

        var resumed = await RunJob(framework, temp.File("stopped"), stopAtBatch: null);
        Assert.Equal(TrainingJobState.Completed, resumed.State);
        Assert.Equal(40 - stopped.Batches, resumed.Batches);
        Assert.Equal(uninterrupted.WeightsSha256, resumed.WeightsSha256);
    }
}
