namespace Unified.Core.Checkpointing;

/// <summary>A hyper-parameter whose saved value differs from the one requested for the resume (values as JSON).</summary>
public sealed record ResumeMismatch(string Name, string Saved, string Requested);
