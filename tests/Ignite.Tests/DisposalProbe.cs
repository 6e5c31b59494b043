namespace Unified.Ignite.Tests;

/// <summary>An engine output that records whether the engine disposed it.</summary>
internal sealed class DisposalProbe : IDisposable
{
    public bool Disposed { get; private set; }

    public void Dispose() => Disposed = true;
}
