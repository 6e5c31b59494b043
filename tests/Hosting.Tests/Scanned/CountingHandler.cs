using Unified.Ignite;

namespace Unified.Hosting.Tests.Scanned;

/// <summary>An Ignite handler found by scanning; its dependency comes from the container.</summary>
public sealed class CountingHandler(Calls calls) : ITrainerHandler
{
    /// <inheritdoc />
    public void Attach(Engine trainer) => trainer.On(Events.IterationCompleted, _ => calls.HandlerIteration());
}
