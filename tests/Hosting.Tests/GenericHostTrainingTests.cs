using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Unified.Core.Checkpointing;
using Unified.Hosting.Tests.Scanned;
using Unified.Testing;
using Xunit;

namespace Unified.Hosting.Tests;

/// <summary>A generic host resolves the factory and trains the digits MLP through both front-ends with the callbacks and handlers that scanning found.</summary>
[Collection(TorchCollection.Name)]
public sealed class GenericHostTrainingTests
{
    [Fact]
    public async Task GenericHost_TrainsTheDigitsMlpThroughBothFrontEnds_WithScannedCallbacksAndHandlers_ToTheSameWeights()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Unified:Trainer:MaxEpochs"] = "2",
            ["Unified:Trainer:Seed"] = "42",
            ["Unified:Trainer:Accelerator"] = "cpu",
        });
        var logs = new RecordingLoggerFactory();
        builder.Services.AddSingleton<ILoggerFactory>(logs);
        builder.Services.AddSingleton<Calls>();
        builder.Services.AddUnifiedTraining(builder.Configuration).ScanNamespaceOf<DigitsClassifier>();
        using var host = builder.Build();
        await host.StartAsync();

        var factory = host.Services.GetRequiredService<IUnifiedTrainerFactory>();
        var hashes = new Dictionary<string, string>();
        foreach (string framework in new[] { "lightning", "ignite" })
        {
            using var scope = host.Services.CreateScope();
            var module = scope.ServiceProvider.GetRequiredService<DigitsClassifier>();
            var result = factory.Create(framework).Fit(module, scope.ServiceProvider.GetRequiredService<SmallDigits>());
            hashes[framework] = WeightsHash.Sha256(module.Network);
            Assert.Equal((framework, 40L), (result.Framework, result.Steps));
            Assert.True(result.FinalMetrics["val_accuracy"] > 0.5, $"{framework}: val_accuracy {result.FinalMetrics["val_accuracy"]}");
        }
        await host.StopAsync();

        var calls = host.Services.GetRequiredService<Calls>();
        // 640 samples in batches of 32 for 2 epochs: the scanned callback ran under lightning, the scanned handler under ignite.
        Assert.Equal((40, 40), (calls.CallbackBatches, calls.HandlerIterations));
        Assert.Equal(hashes["lightning"], hashes["ignite"]);
        // The trainers log through the container's ILoggerFactory.
        Assert.Contains(logs.Entries, e => e.Category.StartsWith("Unified", StringComparison.Ordinal));
    }
}
