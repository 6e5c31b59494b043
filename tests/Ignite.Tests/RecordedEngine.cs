namespace Unified.Ignite.Tests;

/// <summary>
/// An engine that records (epoch, iteration, event) at every built-in event before any other handler runs, as
/// tests/ignite/engine/__init__.py RecordedEngine does.
/// </summary>
internal sealed class RecordedEngine
{
    public RecordedEngine(Func<Engine, Unified.Core.Data.Batch, object?>? process = null)
    {
        Engine = new Engine(process ?? ((_, _) => null));
        foreach (var evt in Events.All.Where(e => e.Kind != EventKind.ExceptionRaised))
            Engine.On(evt, e => Called.Add((e.State.Epoch, e.State.Iteration, evt.Name)));
    }

    public Engine Engine { get; }

    public List<(int Epoch, long Iteration, string Event)> Called { get; } = [];
}
