namespace Unified.Core.Checkpointing;

/// <summary>A checkpoint or safetensors file was refused (an <see cref="IOException"/>: the file, not the call, is wrong); the subclass says why, the message says where and what to do.</summary>
public abstract class CheckpointException(string message, Exception? inner = null) : IOException(message, inner);
