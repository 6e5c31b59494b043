namespace Unified.Core.State;

/// <summary>
/// Anything whose state a checkpoint saves and restores (PyTorch's <c>state_dict()</c> / <c>load_state_dict()</c>):
/// modules, optimisers, schedulers, loss scalers, loop progress, metrics, callbacks and handlers.
/// A checkpoint is a named map of these.
/// </summary>
public interface IStateful
{
    /// <summary>The current state. Tensors may be the live tensors (the caller copies what it keeps).</summary>
    StateDict StateDict();

    /// <summary>Restores a state produced by <see cref="StateDict"/>.</summary>
    /// <exception cref="InvalidDataException">A key is missing or a value has the wrong type.</exception>
    /// <exception cref="StateMismatchException">Tensors do not fit the target (names, shapes); every key is listed.</exception>
    void LoadStateDict(StateDict state);
}
