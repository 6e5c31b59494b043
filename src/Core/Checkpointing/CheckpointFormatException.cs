namespace Unified.Core.Checkpointing;

/// <summary>
/// The file is not a well-formed safetensors / checkpoint file: truncated, a header too large or not JSON, an unknown
/// dtype, a shape whose size does not match its bytes, offsets with holes or overlaps, or metadata that is missing.
/// </summary>
public sealed class CheckpointFormatException(string message, Exception? inner = null) : CheckpointException(message, inner);
