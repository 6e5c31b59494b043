using System.Text.Json.Nodes;
using Unified.Core.Diagnostics;
using Unified.Core.State;
using Unified.Core.Training;

namespace Unified.Core.Checkpointing;

/// <summary>
/// Keeps the best <c>k</c> checkpoints by a monitored value (or the newest <c>k</c> without one), as Lightning's
/// <c>save_top_k</c> and Ignite's <c>n_saved</c>. A new file is written (atomically, durably) before any old one is
/// deleted, so a crash at any moment leaves at least the previous set on disk. Its list is part of the checkpoint,
/// so a resumed run goes on pruning the same files — only when it saves to the same folder: it deletes nothing but
/// files it wrote in its own <see cref="Directory"/>.
/// </summary>
public sealed class CheckpointRetention : IStateful
{
    readonly List<RetainedCheckpoint> kept = [];
    long counter;

    /// <summary>Keeps <paramref name="keep"/> files (-1: all) in <paramref name="directory"/>, best by <paramref name="mode"/> (null: newest).</summary>
    public CheckpointRetention(string directory, int keep, Mode? mode)
    {
        if (keep < -1) throw new ArgumentOutOfRangeException(nameof(keep), keep, "Keep must be -1 (all), 0 (none) or a positive count.");
        (Directory, Keep, Mode) = (Path.GetFullPath(directory), keep, mode);
    }

    /// <summary>The folder the files go to.</summary>
    public string Directory { get; }

    /// <summary>How many files are kept (-1: all, 0: none).</summary>
    public int Keep { get; }

    /// <summary>Best-by mode, or null for newest.</summary>
    public Mode? Mode { get; }

    /// <summary>The kept files, best (or newest) first.</summary>
    public IReadOnlyList<RetainedCheckpoint> Kept => kept;

    /// <summary>The best (or newest) kept file.</summary>
    public RetainedCheckpoint? Best => kept.Count > 0 ? kept[0] : null;

    /// <summary>
    /// Saves <paramref name="fileName"/> through <paramref name="write"/> (which must write atomically) when it makes the
    /// top <see cref="Keep"/>, then deletes the files that fell out. Returns the path written, or null when the score was
    /// not good enough (or <see cref="Keep"/> is 0).
    /// </summary>
    /// <exception cref="ArgumentException">Retention is by a monitored value and <paramref name="score"/> is null or NaN.</exception>
    /// <param name="fileName">The new file's name in <see cref="Directory"/>.</param>
    /// <param name="score">Its monitored value (null without a monitor).</param>
    /// <param name="write">Writes the file, or submits it to <paramref name="queue"/>.</param>
    /// <param name="queue">
    /// With a background writer, the evicted files are deleted on it after the new file's write completes (and not at
    /// all if it fails), so that no file is deleted before its replacement is durable.
    /// </param>
    public string? Save(string fileName, double? score, Action<string> write, CheckpointWriteQueue? queue = null)
    {
        if (Keep == 0) return null;
        if (Mode is not null && (score is null || double.IsNaN(score.Value)))
            throw new ArgumentException($"Retention by a monitored value needs a score for '{fileName}'.", nameof(score));
        var candidate = new RetainedCheckpoint(Path.Combine(Directory, fileName), score, counter + 1);
        var next = kept.Where(k => k.Path != candidate.Path).Append(candidate).OrderBy(k => k, Comparer<RetainedCheckpoint>.Create(Compare)).ToList();
        var evicted = Keep > 0 ? next.Skip(Keep).ToList() : [];
        if (evicted.Contains(candidate)) return null;
        next.RemoveAll(evicted.Contains);

        // The list is updated before writing so that the file's own retention state already includes it.
        var before = kept.ToList();
        counter++;
        kept.Clear();
        kept.AddRange(next);
        try
        {
            write(candidate.Path);
        }
        catch
        {
            kept.Clear();
            kept.AddRange(before);
            counter--;
            throw;
        }
        if (evicted.Count == 0) return candidate.Path;
        if (queue is null) Delete(evicted);
        else queue.After(() => Delete(evicted));
        return candidate.Path;
    }

    void Delete(List<RetainedCheckpoint> evicted)
    {
        foreach (var old in evicted) File.Delete(old.Path);
        AtomicFile.FlushDirectory(Directory);
    }

    int Compare(RetainedCheckpoint a, RetainedCheckpoint b)
    {
        int byScore = Mode switch
        {
            Training.Mode.Min => a.Score!.Value.CompareTo(b.Score!.Value),
            Training.Mode.Max => b.Score!.Value.CompareTo(a.Score!.Value),
            _ => 0,
        };
        return byScore != 0 ? byScore : b.Order.CompareTo(a.Order);
    }

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["counter"] = counter;
        state.Values["directory"] = Directory;
        state.Values["kept"] = new JsonArray(kept.Select(k => (JsonNode?)new JsonObject
        {
            ["path"] = k.Path, ["score"] = k.Score, ["order"] = k.Order,
        }).ToArray());
        return state;
    }

    /// <summary>
    /// Restores the list; files that no longer exist are dropped from it, and so are files in another folder than
    /// <see cref="Directory"/> (a checkpoint resumed into a new folder), with a warning, as Lightning's
    /// <c>ModelCheckpoint</c> does when its <c>dirpath</c> changed: those files are another run's to keep.
    /// </summary>
    public void LoadStateDict(StateDict state)
    {
        var restored = new List<RetainedCheckpoint>();
        try
        {
            foreach (var node in state.Values.TryGetValue("kept", out var list) && list is JsonArray array ? array : throw new InvalidDataException("The retention state has no 'kept' list."))
            {
                var entry = node!.AsObject();
                restored.Add(new RetainedCheckpoint(entry["path"]!.GetValue<string>(), entry["score"]?.GetValue<double>(), entry["order"]!.GetValue<long>()));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new InvalidDataException($"The retention state's 'kept' list is malformed ({e.Message}).", e);
        }
        counter = state.Value<long>("counter");
        var foreign = restored.Where(k => !string.Equals(Path.GetDirectoryName(Path.GetFullPath(k.Path)), Directory, StringComparison.Ordinal)).ToList();
        if (foreign.Count > 0)
            Warnings.Warn($"The checkpoint kept {foreign.Count} file(s) in '{Path.GetDirectoryName(foreign[0].Path)}', but this run saves to '{Directory}': " +
                "they are left as they are and no longer pruned.");
        kept.Clear();
        kept.AddRange(restored.Except(foreign).Where(k => File.Exists(k.Path)).OrderBy(k => k, Comparer<RetainedCheckpoint>.Create(Compare)));
    }
}
