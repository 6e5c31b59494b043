using System.Text.Json;

namespace Unified.Core.State;

/// <summary>
/// A module's hyper-parameters as a checkpoint part (Lightning's <c>hyper_parameters</c>): saved as JSON so that a
/// checkpoint says how it was trained. They are a record, not state: loading leaves the module's own configuration as
/// it is (the module was built with it), as Lightning's resume does.
/// </summary>
public sealed class HyperparametersState(IReadOnlyDictionary<string, object?> hyperparameters) : IStateful
{
    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        foreach (var (name, value) in hyperparameters) state.Values[name] = JsonSerializer.SerializeToNode(value);
        return state;
    }

    /// <summary>Checks nothing and changes nothing: the saved values are informational (see the class remarks).</summary>
    public void LoadStateDict(StateDict state) { }
}
