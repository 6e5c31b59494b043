using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Unified.Adapters;
using Unified.Ignite;
using Unified.Lightning;

namespace Unified.Hosting;

internal sealed class UnifiedTrainerFactory(IOptions<UnifiedTrainingOptions> options, IServiceProvider services, ILoggerFactory? loggerFactory = null)
    : IUnifiedTrainerFactory
{
    public UnifiedTrainer Create(string? framework = null, Action<UnifiedTrainerOptions>? configure = null)
    {
        string name = (framework ?? options.Value.Framework)?.Trim().ToLowerInvariant() ?? "";
        if (!Frameworks.Names.Contains(name))
            throw new ArgumentException($"IUnifiedTrainerFactory.Create: unknown framework '{framework}'. Valid names: {string.Join(", ", Frameworks.Names)}.", nameof(framework));
        var trainerOptions = options.Value.Trainer.Clone();
        trainerOptions.LoggerFactory ??= loggerFactory;
        // Each trainer gets new instances: callbacks and handlers hold per-fit state (patience counters, kept files).
        if (name == Frameworks.Lightning)
            foreach (var callback in services.GetServices<Callback>()) trainerOptions.Callbacks.Add(callback);
        else
            foreach (var handler in services.GetServices<ITrainerHandler>()) trainerOptions.Handlers.Add(handler);
        configure?.Invoke(trainerOptions);
        return new UnifiedTrainer(name, trainerOptions);
    }
}
