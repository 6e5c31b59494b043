namespace Unified.Ignite;

/// <summary>
/// A handler that knows where it belongs on a trainer engine, so that it can be registered once (e.g. found by
/// scanning in a host app) and attached to every trainer: <see cref="Attach"/> adds its event handlers.
/// </summary>
/// <example><code>
/// sealed class PrintLoss : ITrainerHandler
/// {
///     public void Attach(Engine trainer) =&gt; trainer.On(Events.IterationCompleted.Every(100), e =&gt; Console.WriteLine(e.State.Output));
/// }
/// </code></example>
public interface ITrainerHandler
{
    /// <summary>Attaches this handler's event handlers to <paramref name="trainer"/>.</summary>
    void Attach(Engine trainer);
}
