using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Unified.Adapters;
using Unified.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Unified's training services in a Microsoft.Extensions host.</summary>
public static class UnifiedTrainingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IUnifiedTrainerFactory"/>, a keyed <see cref="UnifiedTrainer"/> per framework
    /// (<c>[FromKeyedServices("ignite")]</c>), the job status and the meter; options are validated when the host starts.
    /// Idempotent: calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <example><code>
    /// builder.Services.AddUnifiedTraining(o =&gt; o.Trainer.MaxEpochs = 3).ScanAssemblyOf&lt;Program&gt;();
    /// </code></example>
    public static UnifiedTrainingBuilder AddUnifiedTraining(this IServiceCollection services, Action<UnifiedTrainingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<UnifiedTrainingOptions>().ValidateOnStart();
        if (configure is not null) options.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UnifiedTrainingOptions>, UnifiedTrainingOptionsValidator>());
        services.AddLogging();
        services.AddMetrics();
        services.TryAddSingleton<IUnifiedTrainerFactory, UnifiedTrainerFactory>();
        services.TryAddSingleton<TrainingJobStatus>();
        services.TryAddSingleton<ITrainingJobStatus>(sp => sp.GetRequiredService<TrainingJobStatus>());
        services.TryAddSingleton<TrainingJobMetrics>();
        foreach (string framework in Frameworks.Names)
            services.TryAddKeyedTransient<UnifiedTrainer>(framework, (sp, key) => sp.GetRequiredService<IUnifiedTrainerFactory>().Create((string)key!));
        return new UnifiedTrainingBuilder(services);
    }

    /// <summary>
    /// As <see cref="AddUnifiedTraining(IServiceCollection, Action{UnifiedTrainingOptions}?)"/>, binding the options from
    /// <paramref name="configuration"/>'s <c>Unified</c> section (or the section itself when it is one); a key that
    /// names no option is an error, not ignored.
    /// </summary>
    /// <example><code>builder.Services.AddUnifiedTraining(builder.Configuration);</code></example>
    public static UnifiedTrainingBuilder AddUnifiedTraining(this IServiceCollection services, IConfiguration configuration, Action<UnifiedTrainingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration is IConfigurationSection { Key: UnifiedTrainingOptions.SectionName } own ? own : configuration.GetSection(UnifiedTrainingOptions.SectionName);
        services.AddOptions<UnifiedTrainingOptions>().Bind(section, binder => binder.ErrorOnUnknownConfiguration = true);
        return services.AddUnifiedTraining(configure);
    }
}
