using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Unified.Core.Checkpointing;
using Unified.Hosting;

namespace Unified.Samples.Scenarios.DiHost;

/// <summary>
/// A generic host app: training registered with <c>AddUnifiedTraining(configuration)</c> and Scrutor scanning, the
/// digits MLP trained through both front-ends by <see cref="IUnifiedTrainerFactory"/>, then a hosted training job
/// that the host stops after a few steps (smoke) or its first epoch, leaving <c>last.ckpt</c> to resume from.
/// </summary>
public static class DiHostApp
{
    public static int Run(SampleOptions options) => RunAsync(options).GetAwaiter().GetResult();

    static async Task<int> RunAsync(SampleOptions options)
    {
        string framework = options.Value("--framework") ?? "lightning";
        string checkpoints = Path.Combine(options.WorkDir, "job");
        var builder = Host.CreateApplicationBuilder();
        // What appsettings.json's "Unified" section would hold.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Unified:Framework"] = framework,
            ["Unified:Trainer:MaxEpochs"] = options.Smoke ? "2" : "3",
            ["Unified:Trainer:Seed"] = "42",
            ["Unified:Trainer:Accelerator"] = "cpu",
            ["Unified:Trainer:CheckpointDir"] = checkpoints,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Unified.Hosting", LogLevel.Information);
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
        builder.Services.AddSingleton<JobStopPlan>();
        // A host app scans its own assembly (ScanAssemblyOf<T>); this one shares an assembly with the other scenarios,
        // whose modules the container cannot build, so it scans only this scenario's namespace.
        builder.Services.AddUnifiedTraining(builder.Configuration)
            .ScanNamespaceOf<ProgressCallback>()
            .AddTrainingJob<HostDigitsClassifier, HostDigits>();
        using var host = builder.Build();

        // 1. The factory: one trainer per front-end, each with the scanned callback (lightning) or handler (ignite).
        var factory = host.Services.GetRequiredService<IUnifiedTrainerFactory>();
        var hashes = new Dictionary<string, string>();
        foreach (string name in new[] { "lightning", "ignite" })
        {
            using var scope = host.Services.CreateScope();
            var module = scope.ServiceProvider.GetRequiredService<HostDigitsClassifier>();
            var trainer = factory.Create(name, o =>
            {
                o.MaxSteps = options.MaxSteps;
                o.CheckpointDir = Path.Combine(options.WorkDir, name); // not the job's folder, which it would resume from
            });
            var result = trainer.Fit(module, scope.ServiceProvider.GetRequiredService<HostDigits>());
            hashes[name] = WeightsHash.Sha256(module.Network);
            Console.WriteLine($"{name,-9}: {result.Steps} steps, val_accuracy {result.FinalMetrics["val_accuracy"]:F4}, weights {hashes[name][..16]}");
        }
        // tests/Hosting.Tests and tests/Adapters.Tests assert the bitwise parity; the sample shows it.
        Console.WriteLine(hashes["lightning"] == hashes["ignite"] ? "both front-ends ended with the same weights" : "warning: the front-ends ended with different weights");

        // 2. The hosted job: the host runs until the stop plan calls IHostApplicationLifetime.StopApplication.
        var status = host.Services.GetRequiredService<ITrainingJobStatus>();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        host.Services.GetRequiredService<JobStopPlan>().Arm(options.Smoke ? 5 : null);
        _ = status.Finished.ContinueWith(_ => lifetime.StopApplication(), TaskScheduler.Default); // a job that ends by itself ends the app too
        await host.StartAsync();
        await host.WaitForShutdownAsync();
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        string last = Path.Combine(checkpoints, "last.ckpt");
        string metrics = status.LastMetrics.TryGetValue("val_accuracy", out double accuracy) ? $", last epoch's val_accuracy {accuracy:F4}" : "";
        Console.WriteLine($"job      : {status.State} ({status.Framework}) at epoch {status.Epoch} after {status.Batches} batches{metrics}; health {health.Status}");
        Console.WriteLine($"job      : {last} {(File.Exists(last) ? "exists" : "is MISSING")}; the next start resumes from it");
        return status.State == TrainingJobState.Cancelled && File.Exists(last) && status.Checkpoint == last ? 0 : 1;
    }
}
