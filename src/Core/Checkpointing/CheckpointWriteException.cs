namespace Unified.Core.Checkpointing;

/// <summary>A checkpoint written in the background (<see cref="CheckpointWriteQueue"/>) could not be written; <see cref="Path"/> names the file.</summary>
public sealed class CheckpointWriteException(string path, Exception inner)
    : IOException($"Writing checkpoint '{path}' in the background failed: {inner.Message} The file was not written (an older one under that name, if any, is untouched).", inner)
{
    /// <summary>The file that was not written.</summary>
    public string Path { get; } = path;
}
