namespace Unified.Tuning.Pruners;

/// <summary>Decides whether a running trial should stop, from its intermediate values and the study's (Optuna's <c>BasePruner</c>).</summary>
public interface IPruner
{
    /// <summary>Whether <paramref name="trial"/> (its values reported so far) should be pruned now.</summary>
    bool Prune(Study study, FrozenTrial trial);
}
