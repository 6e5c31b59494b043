using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Unified.Adapters;
using Unified.Hosting.Tests.Scanned;
using Unified.Ignite;
using Unified.Lightning;
using Xunit;

namespace Unified.Hosting.Tests;

/// <summary>
/// The registrations of AddUnifiedTraining, checked as Microsoft.Extensions and Scrutor test theirs: the provider is
/// built with ValidateOnBuild and ValidateScopes, so a registration that cannot be resolved fails here.
/// </summary>
public sealed class AddUnifiedTrainingTests
{
    static readonly ServiceProviderOptions Strict = new() { ValidateOnBuild = true, ValidateScopes = true };

    static IServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<Calls>();
        return services;
    }

    [Fact]
    public void ScanNamespace_RegistersCallbacksHandlersDataAndModels_AndTheFactoryAndKeyedTrainersResolve()
    {
        var services = Services();
        services.AddUnifiedTraining(o => o.Trainer.MaxEpochs = 2).ScanNamespaceOf<DigitsClassifier>().AddTrainingJob<DigitsClassifier, SmallDigits>();
        using var provider = services.BuildServiceProvider(Strict);

        Assert.IsType<CountingCallback>(Assert.Single(provider.GetServices<Callback>()));
        Assert.IsType<CountingHandler>(Assert.Single(provider.GetServices<ITrainerHandler>()));
        using var scope = provider.CreateScope();
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<DigitsClassifier>());
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<SmallDigits>());
        Assert.Equal("ignite", provider.GetRequiredService<IUnifiedTrainerFactory>().Create("ignite").Framework);
        Assert.Equal("lightning", provider.GetRequiredService<IUnifiedTrainerFactory>().Create().Framework);
        Assert.Equal("ignite", provider.GetRequiredKeyedService<UnifiedTrainer>("ignite").Framework);
        Assert.Equal(TrainingJobState.Pending, provider.GetRequiredService<ITrainingJobStatus>().State);
        Assert.Single(provider.GetServices<IHostedService>(), s => s.GetType().Name.StartsWith("TrainingJob", StringComparison.Ordinal));
    }

    [Fact]
    public void AddUnifiedTraining_Twice_RegistersEachServiceOnce()
    {
        var services = Services();
        services.AddUnifiedTraining().AddTrainingJob<DigitsClassifier, SmallDigits>();
        services.AddUnifiedTraining(o => o.Trainer.MaxEpochs = 3).AddTrainingJob<DigitsClassifier, SmallDigits>();

        Assert.Single(services, s => s.ServiceType == typeof(IUnifiedTrainerFactory));
        Assert.Single(services, s => s.ServiceType == typeof(IValidateOptions<UnifiedTrainingOptions>));
        Assert.Single(services, s => s.ServiceType == typeof(IHostedService) && s.ImplementationType!.Name.StartsWith("TrainingJob", StringComparison.Ordinal));

        Assert.Single(services, s => s.ServiceType == typeof(UnifiedTrainer) && Equals(s.ServiceKey, "ignite"));
        using var provider = services.BuildServiceProvider(Strict);
        Assert.Equal(3, provider.GetRequiredService<IOptions<UnifiedTrainingOptions>>().Value.Trainer.MaxEpochs);
        Assert.Single(provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations, r => r.Name == "unified-training");
    }

    [Fact]
    public void ScanningTheSameTypesTwice_IsAClearError()
    {
        var builder = Services().AddUnifiedTraining().ScanNamespaceOf<DigitsClassifier>();
        var error = Assert.Throws<InvalidOperationException>(() => builder.ScanNamespaceOf<DigitsClassifier>());
        Assert.Contains("already registered", error.Message);
        Assert.Contains(nameof(CountingCallback), error.Message);

        var byHand = Services().AddUnifiedTraining().AddCallback<CountingCallback>();
        Assert.Throws<InvalidOperationException>(() => byHand.ScanNamespaceOf<DigitsClassifier>());
    }

    [Fact]
    public void ExplicitRegistration_WithoutScanning_GivesTheCallbackToLightningAndTheHandlerToIgnite()
    {
        var services = Services();
        services.AddUnifiedTraining().AddCallback<CountingCallback>().AddHandler<CountingHandler>().AddModel<DigitsClassifier>().AddDataModule<SmallDigits>();
        using var provider = services.BuildServiceProvider(Strict);

        Assert.Single(provider.GetServices<Callback>());
        Assert.Single(provider.GetServices<ITrainerHandler>());
        using var scope = provider.CreateScope();
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<DigitsClassifier>());
    }

    [Fact]
    public void UnknownFramework_FromTheFactory_NamesTheValidOnes()
    {
        var services = Services();
        services.AddUnifiedTraining();
        using var provider = services.BuildServiceProvider(Strict);

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<IUnifiedTrainerFactory>().Create("keras"));
        Assert.Contains("'keras'", error.Message);
        Assert.Contains("lightning, ignite", error.Message);
    }

    [Fact]
    public void Options_BoundFromConfiguration_ReachTheTrainerOptions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Unified:Framework"] = "ignite",
            ["Unified:Trainer:MaxEpochs"] = "4",
            ["Unified:Trainer:Accelerator"] = "cpu",
            ["Unified:Trainer:MaxTime"] = "00:10:00",
            ["Unified:Trainer:Checkpoints:DirPath"] = "ckpt",
            ["Unified:Trainer:Checkpoints:SaveTopK"] = "2",
            ["Unified:Trainer:Checkpoints:Monitor"] = "val_loss",
            ["Unified:Trainer:EarlyStopping:Monitor"] = "val_accuracy",
            ["Unified:Trainer:EarlyStopping:Mode"] = "Max",
        }).Build();
        var services = Services();
        services.AddUnifiedTraining(configuration);
        using var provider = services.BuildServiceProvider(Strict);

        var options = provider.GetRequiredService<IOptions<UnifiedTrainingOptions>>().Value;
        Assert.Equal(("ignite", 4, "cpu", TimeSpan.FromMinutes(10)), (options.Framework, options.Trainer.MaxEpochs, options.Trainer.Accelerator, options.Trainer.MaxTime));
        Assert.Equal(("ckpt", 2, "val_loss"), (options.Trainer.CheckpointDir, options.Trainer.Checkpoints.SaveTopK, options.Trainer.Checkpoints.Monitor));
        Assert.Equal(("val_accuracy", Core.Training.Mode.Max), (options.Trainer.EarlyStopping!.Monitor, options.Trainer.EarlyStopping.Mode));
    }

    [Fact]
    public void UnknownConfigurationKey_IsAnErrorNamingIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Unified:Trainer:MaxEpoch"] = "4" }).Build();
        var services = Services();
        services.AddUnifiedTraining(configuration);
        using var provider = services.BuildServiceProvider(Strict);

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptions<UnifiedTrainingOptions>>().Value);
        Assert.Contains("MaxEpoch", error.Message);
    }

    [Fact]
    public async Task InvalidOptions_FailTheHostAtStart_WithMessagesThatNameTheSetting()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Unified:Framework"] = "torch",
            ["Unified:Trainer:MaxEpochs"] = "0",
        });
        builder.Services.AddUnifiedTraining(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.Contains("Unified:Framework is 'torch'") && f.Contains("lightning, ignite"));
        Assert.Contains(error.Failures, f => f.Contains("MaxEpochs"));
    }

    [Fact]
    public async Task TrainingJob_WithoutACheckpointFolder_FailsTheHostAtStart()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<Calls>();
        builder.Services.AddUnifiedTraining().AddTrainingJob<DigitsClassifier, SmallDigits>();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("CheckpointDir", error.Message);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Status);
    }
}
