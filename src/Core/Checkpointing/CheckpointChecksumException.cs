namespace Unified.Core.Checkpointing;

/// <summary>The tensor data does not match the SHA-256 recorded in the header: the file was damaged after it was written.</summary>
public sealed class CheckpointChecksumException(string message) : CheckpointException(message);
