using Unified.Core.Checkpointing;

namespace Unified.Ignite;

/// <summary>
/// Where <see cref="Checkpoint"/> writes, as Ignite's <c>DiskSaver(dirname, create_dir, require_empty)</c>: a folder,
/// always written atomically (temporary file in the same folder, flushed, renamed, folder flushed), by default before
/// the save returns, or with <c>asyncWrites</c> in the background.
/// </summary>
public sealed class DiskSaver
{
    /// <summary>Saves into <paramref name="dirname"/>.</summary>
    /// <param name="dirname">The folder.</param>
    /// <param name="createDir">Create the folder if missing (default); false requires it to exist.</param>
    /// <param name="requireEmpty">Refuse a folder that already holds checkpoint files (default, as Ignite), so that another run's files are not mixed in or pruned.</param>
    /// <param name="asyncWrites">
    /// Write off the training thread (default false: synchronous, as Ignite's <c>DiskSaver</c>): a save takes a CPU
    /// snapshot and returns; the same bytes are written, flushed and renamed in the background, one file at a time, and
    /// evicted files are deleted only once the new one is durable. <see cref="Checkpoint"/> flushes when the engine's run
    /// ends (completed, interrupted or failed); a failed write throws there or at the next save, naming the file.
    /// </param>
    /// <exception cref="InvalidOperationException"><paramref name="requireEmpty"/> and the folder holds <c>.ckpt</c> files.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder is missing and <paramref name="createDir"/> is false.</exception>
    public DiskSaver(string dirname, bool createDir = true, bool requireEmpty = true, bool asyncWrites = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dirname);
        string full = Path.GetFullPath(dirname);
        if (!createDir && !System.IO.Directory.Exists(full))
            throw new DirectoryNotFoundException($"Checkpoint folder '{full}' does not exist; create it or pass createDir: true.");
        Directory = System.IO.Directory.CreateDirectory(full).FullName;
        var foreign = System.IO.Directory.EnumerateFiles(Directory, "*.ckpt").Select(Path.GetFileName).Take(3).ToList();
        if (requireEmpty && foreign.Count > 0)
            throw new InvalidOperationException($"Checkpoint folder '{Directory}' already holds checkpoint files ({string.Join(", ", foreign)}); " +
                "choose an empty folder, or pass requireEmpty: false to save beside them.");
        AtomicFile.RemoveStaleTemporaries(Directory);
        if (asyncWrites) WriteQueue = new CheckpointWriteQueue();
    }

    /// <summary>The background writer, or null when writes are synchronous.</summary>
    public CheckpointWriteQueue? WriteQueue { get; }

    /// <summary>Waits until every background write is durable (nothing to do when writes are synchronous).</summary>
    /// <exception cref="CheckpointWriteException">A background write failed.</exception>
    public void Flush() => WriteQueue?.Flush();

    /// <summary>The folder's full path.</summary>
    public string Directory { get; }
}
