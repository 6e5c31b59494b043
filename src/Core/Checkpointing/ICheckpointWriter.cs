namespace Unified.Core.Checkpointing;

/// <summary>Saves the whole state of a running fit to a file (Lightning's <c>trainer.save_checkpoint(path)</c>).</summary>
public interface ICheckpointWriter
{
    /// <summary>Writes a resumable checkpoint of the current state to <paramref name="path"/>, atomically and durably.</summary>
    void Save(string path);

    /// <summary>The background writer <see cref="Save"/> submits to, or null when it writes before returning.</summary>
    CheckpointWriteQueue? WriteQueue => null;
}
