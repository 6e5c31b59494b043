namespace Unified.Ignite;

/// <summary>Removes the handler it was returned for when disposed, as Ignite's <c>RemovableEventHandle</c>.</summary>
public sealed class RemovableHandle : IDisposable
{
    Action? remove;

    internal RemovableHandle(Action remove) => this.remove = remove;

    /// <summary>Removes the handler; later calls do nothing.</summary>
    public void Remove() => Interlocked.Exchange(ref remove, null)?.Invoke();

    /// <inheritdoc />
    public void Dispose() => Remove();
}
