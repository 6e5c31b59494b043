namespace Unified.Core.Checkpointing;

/// <summary>
/// Writes checkpoints off the training thread, as Lightning's <c>AsyncCheckpointIO</c> plugin: the caller takes a
/// snapshot (<see cref="CheckpointFile.Snapshot(IReadOnlyDictionary{string, State.IStateful}, bool)"/>, cheap: CPU
/// copies) and <see cref="Submit"/> hands its serialisation, temporary-file write, fsync and atomic rename to a
/// background task. One write is in flight at a time: a new <see cref="Submit"/> waits for the previous one. A failed
/// write surfaces at the next <see cref="Submit"/>, <see cref="After"/>, <see cref="Flush"/> or <see cref="Dispose"/>
/// as a <see cref="CheckpointWriteException"/> naming the file; work queued after a failed write does not run.
/// Call from one thread (the training loop's).
/// </summary>
/// <example><code>
/// using var queue = new CheckpointWriteQueue();
/// queue.Submit("last.ckpt", CheckpointFile.Snapshot(parts));   // returns once the snapshot is taken
/// queue.Flush();                                               // at the end of the fit: durable, or throws
/// </code></example>
public sealed class CheckpointWriteQueue : IDisposable
{
    Task inFlight = Task.CompletedTask;
    string? inFlightPath;
    bool disposed;

    /// <summary>Writes <paramref name="snapshot"/> to <paramref name="path"/> in the background and disposes it; waits for the previous write first.</summary>
    /// <exception cref="CheckpointWriteException">The previous write failed (this snapshot is disposed, not written).</exception>
    public void Submit(string path, SafetensorsSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            ArgumentException.ThrowIfNullOrEmpty(path);
            Flush();
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
        string fullPath = System.IO.Path.GetFullPath(path);
        inFlightPath = fullPath;
        inFlight = Task.Run(() =>
        {
            using (snapshot)
            {
                try
                {
                    snapshot.WriteTo(fullPath);
                }
                catch (Exception e)
                {
                    throw new CheckpointWriteException(fullPath, e);
                }
            }
        });
    }

    /// <summary>
    /// Runs <paramref name="action"/> once the write in flight is durable (now, when none is); it does not run if that
    /// write fails. Retention deletes evicted files this way, never before the new file is on disk.
    /// </summary>
    public void After(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ObjectDisposedException.ThrowIf(disposed, this);
        if (inFlight.IsCompleted)
        {
            Flush();
            action();
            return;
        }
        var previous = inFlight;
        string? path = inFlightPath;
        inFlight = previous.ContinueWith(t =>
        {
            t.GetAwaiter().GetResult();
            try
            {
                action();
            }
            catch (Exception e) when (e is not CheckpointWriteException)
            {
                throw new CheckpointWriteException(path ?? "(none)", e);
            }
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Whether a write is still running.</summary>
    public bool Pending => !inFlight.IsCompleted;

    /// <summary>Waits until every submitted write is durable.</summary>
    /// <exception cref="CheckpointWriteException">A write failed; reported once.</exception>
    public void Flush()
    {
        var task = inFlight;
        try
        {
            task.GetAwaiter().GetResult();
        }
        finally
        {
            if (task.IsCompleted) (inFlight, inFlightPath) = (Task.CompletedTask, null);
        }
    }

    /// <summary>Flushes (a failed write throws here) and refuses further writes.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Flush();
    }
}
