using System.Globalization;
using Unified.Core.Checkpointing;
using Unified.Core.State;

namespace Unified.Ignite;

/// <summary>
/// A handler that saves resumable checkpoints of <c>toSave</c>, as Ignite's <c>Checkpoint</c>: attach
/// <see cref="Handle"/> to any event; it keeps the <c>nSaved</c> best files by <c>scoreFunction</c> (higher is better,
/// as in Ignite) or the newest without one. Files are named <c>{prefix}_{global step}[_{scoreName}={score}].ckpt</c>
/// in the <see cref="DiskSaver"/>'s folder and written atomically; old files are deleted only after the new one is durable.
/// </summary>
/// <example><code>
/// var handler = new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver("ckpt"), nSaved: 2);
/// trainer.On(Events.IterationCompleted.Every(100) | Events.Interrupt, handler.Handle);
/// // later, in a new process:
/// Checkpoint.LoadObjects(Supervised.ToSave(trainer).Parts, handler.LastCheckpoint!);
/// trainer.Run(data.Train, maxEpochs: 3);   // continues from the saved iteration
/// </code></example>
public sealed class Checkpoint : IStateful
{
    readonly IReadOnlyDictionary<string, IStateful> toSave;
    readonly CheckpointRetention retention;
    readonly DiskSaver saver;
    readonly HashSet<Engine> flushedAtRunEnd = new(ReferenceEqualityComparer.Instance);
    readonly string prefix;
    readonly Func<Engine, double>? scoreFunction;
    readonly string? scoreName;
    readonly Func<Engine, long> globalStep;
    readonly string? filenamePattern;
    readonly bool includeSelf, greaterOrEqual;
    long saved;

    /// <summary>Fired on the engine after every file this handler writes (Ignite's <c>CheckpointEvents.SAVED_CHECKPOINT</c>; counter <c>saved_checkpoint</c> in <see cref="State.Extras"/>).</summary>
    public static Event SavedCheckpoint { get; } = Event.Custom("SAVED_CHECKPOINT");

    /// <summary>Creates the handler; <paramref name="nSaved"/> -1 keeps every file.</summary>
    /// <param name="toSave">The objects to save, by name.</param>
    /// <param name="saveHandler">The folder.</param>
    /// <param name="filenamePrefix">The file names' prefix.</param>
    /// <param name="scoreFunction">Higher is better; null keeps the newest files.</param>
    /// <param name="scoreName">The score's name in file names.</param>
    /// <param name="nSaved">Files kept (-1: all).</param>
    /// <param name="globalStepTransform">The step in file names (default: the engine's iteration).</param>
    /// <param name="filenamePattern">
    /// File names from <c>{filename_prefix}</c>, <c>{global_step}</c>, <c>{score_name}</c>, <c>{score}</c> and <c>{ext}</c>
    /// (default: <c>{filename_prefix}_{global_step}[_{score_name}={score}].{ext}</c>, the score with 4 decimals).
    /// </param>
    /// <param name="includeSelf">Also save this handler's retention list (<see cref="PartName"/>), so a resumed run prunes the same files.</param>
    /// <param name="greaterOrEqual">With a score: a file whose score ties the worst kept one replaces it (Ignite: <c>greater_or_equal</c>); default false keeps the older.</param>
    public Checkpoint(IReadOnlyDictionary<string, IStateful> toSave, DiskSaver saveHandler, string filenamePrefix = "checkpoint",
        Func<Engine, double>? scoreFunction = null, string? scoreName = null, int nSaved = 1, Func<Engine, long>? globalStepTransform = null,
        string? filenamePattern = null, bool includeSelf = false, bool greaterOrEqual = false)
    {
        ArgumentNullException.ThrowIfNull(toSave);
        ArgumentNullException.ThrowIfNull(saveHandler);
        if (toSave.Count == 0) throw new ArgumentException("Checkpoint needs at least one object to save.", nameof(toSave));
        if (nSaved is 0 or < -1) throw new ArgumentOutOfRangeException(nameof(nSaved), nSaved, "nSaved must be a positive count or -1 (keep all).");
        if (scoreName is not null && scoreFunction is null) throw new ArgumentException("scoreName needs a scoreFunction.", nameof(scoreName));
        (this.toSave, this.scoreFunction, this.scoreName) = (toSave, scoreFunction, scoreName);
        prefix = string.IsNullOrWhiteSpace(filenamePrefix) ? "checkpoint" : filenamePrefix;
        globalStep = globalStepTransform ?? (e => e.State.Iteration);
        (this.filenamePattern, this.includeSelf, this.greaterOrEqual) = (filenamePattern, includeSelf, greaterOrEqual);
        if (toSave.ContainsKey(PartName)) throw new ArgumentException($"'{PartName}' is the name of this handler's own part; rename that object.", nameof(toSave));
        saver = saveHandler;
        retention = new CheckpointRetention(saveHandler.Directory, nSaved, scoreFunction is null ? null : Core.Training.Mode.Max);
    }

    /// <summary>The newest file this handler wrote, or null.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>The kept files, best (or newest) first.</summary>
    public IReadOnlyList<RetainedCheckpoint> Kept => retention.Kept;

    /// <summary>The handler to attach: saves a checkpoint of the current state.</summary>
    public void Handle(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        double? score = scoreFunction?.Invoke(engine);
        if (score is double nan && double.IsNaN(nan))
            throw new InvalidOperationException("Checkpoint's score function returned NaN; return a number (e.g. -val_loss), or save without a score.");
        if (score is double tie && !greaterOrEqual && retention.Keep > 0 && Kept.Count >= retention.Keep && tie <= Kept[^1].Score) return;
        FlushAtRunEnd(engine);
        if (retention.Save(FileName(engine, score), score, Write, saver.WriteQueue) is not { } path) return;
        LastCheckpoint = path;
        if (!engine.HasRegisteredEvents(SavedCheckpoint)) engine.RegisterEvents([SavedCheckpoint], counter: "saved_checkpoint");
        engine.State.Extras["saved_checkpoint"] = ++saved;
        engine.FireEvent(SavedCheckpoint);
    }

    /// <summary>Attaches <see cref="Handle"/> to <paramref name="evt"/> and registers <see cref="SavedCheckpoint"/> on the engine, so that handlers can attach to it before the first save.</summary>
    public RemovableHandle Attach(Engine engine, Event evt)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (!engine.HasRegisteredEvents(SavedCheckpoint)) engine.RegisterEvents([SavedCheckpoint], counter: "saved_checkpoint");
        FlushAtRunEnd(engine);
        return engine.On(evt, Handle);
    }

    string FileName(Engine engine, double? score)
    {
        string step = globalStep(engine).ToString(CultureInfo.InvariantCulture);
        string scoreText = score is double s ? s.ToString("F4", CultureInfo.InvariantCulture) : "";
        if (filenamePattern is null)
            return $"{prefix}_{step}" + (score is null ? "" : $"_{scoreName ?? "score"}={scoreText}") + ".ckpt";
        return filenamePattern.Replace("{filename_prefix}", prefix, StringComparison.Ordinal).Replace("{global_step}", step, StringComparison.Ordinal)
            .Replace("{score_name}", scoreName ?? "score", StringComparison.Ordinal).Replace("{score}", scoreText, StringComparison.Ordinal)
            .Replace("{ext}", "ckpt", StringComparison.Ordinal).Replace("{name}", "checkpoint", StringComparison.Ordinal);
    }

    /// <summary>The part name under which this handler saves its own retention state.</summary>
    public const string PartName = "handler_checkpoint";

    void Write(string path)
    {
        var parts = toSave.ToDictionary();
        if (includeSelf) parts[PartName] = this;
        if (saver.WriteQueue is { } queue) queue.Submit(path, CheckpointFile.Snapshot(parts));
        else CheckpointFile.Save(path, parts);
    }

    // With background writes the run's files are durable when Run returns; after a failed run its own exception is the
    // one reported, and a write that also failed is a warning beside it.
    void FlushAtRunEnd(Engine engine)
    {
        if (saver.WriteQueue is null || !flushedAtRunEnd.Add(engine)) return;
        engine.OnRunEnd(failure =>
        {
            if (failure is null)
            {
                saver.Flush();
                return;
            }
            try
            {
                saver.Flush();
            }
            catch (CheckpointWriteException e)
            {
                Core.Diagnostics.Warnings.Warn(e.Message);
            }
        });
    }

    /// <summary>Restores every object of <paramref name="toLoad"/> from <paramref name="checkpoint"/> (Ignite's <c>Checkpoint.load_objects</c>).</summary>
    public static void LoadObjects(IReadOnlyDictionary<string, IStateful> toLoad, string checkpoint)
    {
        using var contents = CheckpointFile.Load(checkpoint);
        contents.Restore(toLoad);
    }

    /// <summary>Restores this handler's retention list too, so that a resumed run prunes the same files.</summary>
    public void LoadState(string checkpoint)
    {
        using var contents = CheckpointFile.Load(checkpoint);
        if (contents.Parts.TryGetValue(PartName, out var state)) LoadStateDict(state);
    }

    /// <inheritdoc />
    public StateDict StateDict() => retention.StateDict();

    /// <inheritdoc />
    public void LoadStateDict(StateDict state) => retention.LoadStateDict(state);
}
