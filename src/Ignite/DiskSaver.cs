using Unified.Core.Checkpointing;

namespace Unified.Ignite;

/// <summary>
/// Where <see cref="Checkpoint"/> writes, as Ignite's <c>DiskSaver</c>: a folder, written atomically (temporary file in
/// the same folder, flushed, renamed, folder flushed), removed only after the new file is durable.
/// </summary>
public sealed class DiskSaver
{
    /// <summary>Saves into <paramref name="dirname"/>, creating it; with <paramref name="requireEmpty"/>, refuses a folder that already holds checkpoints.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="requireEmpty"/> and the folder holds <c>.ckpt</c> files.</exception>
    public DiskSaver(string dirname, bool requireEmpty = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dirname);
        Directory = System.IO.Directory.CreateDirectory(dirname).FullName;
        if (requireEmpty && System.IO.Directory.EnumerateFiles(Directory, "*.ckpt").Any())
            throw new InvalidOperationException($"Folder '{Directory}' already holds checkpoints; pass requireEmpty: false to add to them, or choose another folder.");
        AtomicFile.RemoveStaleTemporaries(Directory);
    }

    /// <summary>The folder's full path.</summary>
    public string Directory { get; }
}
