namespace Unified.Core.State;

/// <summary>
/// A state dict does not fit its target: keys missing or unexpected, shapes or dtypes that differ. Lists every problem,
/// key by key, so that a renamed layer or a changed width is found in one go.
/// </summary>
public sealed class StateMismatchException(string target, IReadOnlyList<string> problems)
    : InvalidOperationException($"The state does not fit {target} ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):\n  "
        + string.Join("\n  ", problems) + "\nLoad it into the same architecture it was saved from, or load non-strictly to skip missing and unexpected keys.")
{
    /// <summary>One line per problem, e.g. <c>"fc1.weight: shape [128, 784] in the state, [256, 784] in the model"</c>.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}
