namespace Unified.Core.Checkpointing;

/// <summary>A resume asked for other values of the hyper-parameters that shape the step sequence than the checkpoint was saved with.</summary>
public sealed class ResumeMismatchException(string path, IReadOnlyList<ResumeMismatch> mismatches)
    : InvalidOperationException($"Checkpoint '{path}' was saved with " +
        string.Join(", ", mismatches.Select(m => $"{m.Name} {m.Saved} (requested {m.Requested})")) +
        "; resume with the saved values, or start a new run.")
{
    /// <summary>The checkpoint.</summary>
    public string CheckpointPath { get; } = path;

    /// <summary>Every differing value.</summary>
    public IReadOnlyList<ResumeMismatch> Mismatches { get; } = mismatches;
}
