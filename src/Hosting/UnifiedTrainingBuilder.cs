using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Scrutor;
using Unified.Core.Data;
using Unified.Core.Metrics;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;

namespace Unified.Hosting;

/// <summary>
/// Registers what training uses, found by Scrutor scanning or named by hand: Lightning callbacks (<see cref="Callback"/>),
/// Ignite handlers (<see cref="ITrainerHandler"/>), metrics (<see cref="Metric"/>), data modules (<see cref="IDataModule"/>)
/// and models (<see cref="ITrainingModule"/>), all transient (each fit gets its own, as they hold state). The same class
/// registered twice for the same role is an error (<see cref="InvalidOperationException"/>), not a silent double.
/// </summary>
/// <example><code>services.AddUnifiedTraining(configuration).ScanAssemblyOf&lt;MyCallback&gt;().AddTrainingJob&lt;MyModule, MyData&gt;();</code></example>
public sealed class UnifiedTrainingBuilder
{
    internal UnifiedTrainingBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Registers every public concrete callback, handler, metric, data module and model of <typeparamref name="T"/>'s assembly.</summary>
    public UnifiedTrainingBuilder ScanAssemblyOf<T>() => Scan(from => from.FromAssemblyOf<T>(), _ => { });

    /// <summary>As <see cref="ScanAssemblyOf{T}"/>, limited to <typeparamref name="T"/>'s namespace (and those below it).</summary>
    public UnifiedTrainingBuilder ScanNamespaceOf<T>() => Scan(from => from.FromAssemblyOf<T>(), c => c.InNamespaceOf<T>());

    /// <summary>As <see cref="ScanAssemblyOf{T}"/>, for several assemblies.</summary>
    public UnifiedTrainingBuilder ScanAssemblies(params Assembly[] assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        return Scan(from => from.FromAssemblies(assemblies), _ => { });
    }

    // One Scrutor sentence per role: the class as its role's service type (callbacks, handlers), or as itself (metrics,
    // data modules, models, which are asked for by their own type).
    UnifiedTrainingBuilder Scan(Func<ITypeSourceSelector, IImplementationTypeSelector> from, Action<IImplementationTypeFilter> where)
    {
        Services.Scan(scan => from(scan)
            .AddClasses(c => { c.AssignableTo<Callback>(); where(c); }).UsingRegistrationStrategy(ThrowOnDuplicateRegistration.Instance).As<Callback>().WithTransientLifetime()
            .AddClasses(c => { c.AssignableTo<ITrainerHandler>(); where(c); }).UsingRegistrationStrategy(ThrowOnDuplicateRegistration.Instance).As<ITrainerHandler>().WithTransientLifetime()
            .AddClasses(c => { c.AssignableTo<Metric>(); where(c); }).UsingRegistrationStrategy(ThrowOnDuplicateRegistration.Instance).AsSelf().WithTransientLifetime()
            .AddClasses(c => { c.AssignableTo<IDataModule>(); where(c); }).UsingRegistrationStrategy(ThrowOnDuplicateRegistration.Instance).AsSelf().WithTransientLifetime()
            .AddClasses(c => { c.AssignableTo<ITrainingModule>(); where(c); }).UsingRegistrationStrategy(ThrowOnDuplicateRegistration.Instance).AsSelf().WithTransientLifetime());
        return this;
    }

    /// <summary>Registers a Lightning callback, given to every <c>lightning</c> trainer the factory creates.</summary>
    public UnifiedTrainingBuilder AddCallback<T>() where T : Callback => Add(typeof(Callback), typeof(T));

    /// <summary>Registers an Ignite handler, attached to every <c>ignite</c> trainer the factory creates.</summary>
    public UnifiedTrainingBuilder AddHandler<T>() where T : class, ITrainerHandler => Add(typeof(ITrainerHandler), typeof(T));

    /// <summary>Registers a metric, resolved by its own type.</summary>
    public UnifiedTrainingBuilder AddMetric<T>() where T : Metric => Add(typeof(T), typeof(T));

    /// <summary>Registers a data module, resolved by its own type.</summary>
    public UnifiedTrainingBuilder AddDataModule<T>() where T : class, IDataModule => Add(typeof(T), typeof(T));

    /// <summary>Registers a model, resolved by its own type.</summary>
    public UnifiedTrainingBuilder AddModel<T>() where T : class, ITrainingModule => Add(typeof(T), typeof(T));

    /// <summary>
    /// Adds a hosted job that trains <typeparamref name="TModule"/> on <typeparamref name="TData"/> when the host starts,
    /// readable through <see cref="ITrainingJobStatus"/> and the <c>unified-training</c> health check; stopping the host
    /// cancels it at a step boundary, leaving <c>last.ckpt</c> in <see cref="Adapters.UnifiedTrainerOptions.CheckpointDir"/>,
    /// from which the next start resumes (<c>ResumeFrom</c>, if set, is where a job without one starts). Registers the
    /// module and data too, if they are not yet.
    /// </summary>
    public UnifiedTrainingBuilder AddTrainingJob<TModule, TData>() where TModule : class, ITrainingModule where TData : class, IDataModule
    {
        if (!Services.Any(s => s.ServiceType == typeof(TModule))) AddModel<TModule>();
        if (!Services.Any(s => s.ServiceType == typeof(TData))) AddDataModule<TData>();
        if (Services.Any(s => s.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService) && s.ImplementationType == typeof(TrainingJob<TModule, TData>)))
            return this;
        Services.AddHostedService<TrainingJob<TModule, TData>>();
        Services.AddHealthChecks().AddCheck<TrainingJobHealthCheck>("unified-training", tags: ["training"]);
        return this;
    }

    UnifiedTrainingBuilder Add(Type service, Type implementation)
    {
        ThrowOnDuplicateRegistration.Instance.Apply(Services, ServiceDescriptor.Transient(service, implementation));
        return this;
    }
}
