namespace Unified.Tuning;

/// <summary>
/// Thrown from an objective (or a pruning callback or handler) to stop a trial the pruner gave up on (Optuna's
/// <c>TrialPruned</c>); <see cref="Study.Optimize"/> records the trial as pruned, not failed.
/// </summary>
public sealed class TrialPrunedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrialPrunedException() : base("The trial was pruned.") { }

    /// <summary>Creates the exception with a message.</summary>
    public TrialPrunedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public TrialPrunedException(string message, Exception inner) : base(message, inner) { }
}
