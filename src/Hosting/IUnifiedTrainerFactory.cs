using Unified.Adapters;

namespace Unified.Hosting;

/// <summary>
/// Creates <see cref="UnifiedTrainer"/>s with everything the container holds: the configured options, the registered
/// Lightning callbacks (for <c>lightning</c>) or Ignite handlers (for <c>ignite</c>), and the container's <c>ILoggerFactory</c>.
/// </summary>
/// <example><code>var trainer = provider.GetRequiredService&lt;IUnifiedTrainerFactory&gt;().Create("ignite");</code></example>
public interface IUnifiedTrainerFactory
{
    /// <summary>
    /// A trainer for <paramref name="framework"/> (default: <see cref="UnifiedTrainingOptions.Framework"/>), with a copy of
    /// the configured options that <paramref name="configure"/> may change.
    /// </summary>
    /// <exception cref="ArgumentException">The framework is not one of <see cref="Frameworks.Names"/>.</exception>
    UnifiedTrainer Create(string? framework = null, Action<UnifiedTrainerOptions>? configure = null);
}
