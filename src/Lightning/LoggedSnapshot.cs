using Unified.Core.State;
using Unified.Core.Training;

namespace Unified.Lightning;

/// <summary>
/// A copy of the running means at one moment, put back later so that what was logged in between (validation after a
/// fit stopped mid-epoch) is not saved as part of the unfinished training epoch.
/// </summary>
internal sealed class LoggedSnapshot : IDisposable
{
    readonly StateDict state = new();

    LoggedSnapshot(LoggedMetrics logged)
    {
        var live = logged.StateDict();
        foreach (var (key, tensor) in live.Tensors) state.Tensors[key] = tensor.detach().clone().DetachFromDisposeScope();
        foreach (var (key, value) in live.Values) state.Values[key] = value?.DeepClone();
    }

    public static LoggedSnapshot Take(LoggedMetrics logged) => new(logged);

    public void Restore(LoggedMetrics logged) => logged.LoadStateDict(state);

    public void Dispose()
    {
        foreach (var tensor in state.Tensors.Values) tensor.Dispose();
    }
}
