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
    readonly string prefix;
    readonly Func<Engine, double>? scoreFunction;
    readonly string? scoreName;
    readonly Func<Engine, long> globalStep;

    /// <summary>Creates the handler; <paramref name="nSaved"/> -1 keeps every file.</summary>
    public Checkpoint(IReadOnlyDictionary<string, IStateful> toSave, DiskSaver saveHandler, string filenamePrefix = "checkpoint",
        Func<Engine, double>? scoreFunction = null, string? scoreName = null, int nSaved = 1, Func<Engine, long>? globalStepTransform = null)
    {
        ArgumentNullException.ThrowIfNull(toSave);
        ArgumentNullException.ThrowIfNull(saveHandler);
        if (toSave.Count == 0) throw new ArgumentException("Checkpoint needs at least one object to save.", nameof(toSave));
        if (nSaved is 0 or < -1) throw new ArgumentOutOfRangeException(nameof(nSaved), nSaved, "nSaved must be a positive count or -1 (keep all).");
        if (scoreName is not null && scoreFunction is null) throw new ArgumentException("scoreName needs a scoreFunction.", nameof(scoreName));
        (this.toSave, this.scoreFunction, this.scoreName) = (toSave, scoreFunction, scoreName);
        prefix = string.IsNullOrWhiteSpace(filenamePrefix) ? "checkpoint" : filenamePrefix;
        globalStep = globalStepTransform ?? (e => e.State.Iteration);
        retention = new CheckpointRetention(saveHandler.Directory, nSaved, scoreFunction is null ? null : Core.Training.Mode.Max);
    }

    /// <summary>The newest file this handler wrote, or null.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>The kept files, best (or newest) first.</summary>
    public IReadOnlyList<RetainedCheckpoint> Kept => retention.Kept;

    /// <summary>The handler to attach: saves a checkpoint of the current state.</summary>
    public void Handle(Engine engine)
    {
        double? score = scoreFunction?.Invoke(engine);
        string name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{globalStep(engine)}");
        if (score is double s) name += string.Create(CultureInfo.InvariantCulture, $"_{scoreName ?? "score"}={s:F4}");
        if (retention.Save(name + ".ckpt", score, Write) is { } path) LastCheckpoint = path;
    }

    /// <summary>The part name under which this handler saves its own retention state.</summary>
    public const string PartName = "handler_checkpoint";

    void Write(string path)
    {
        var parts = toSave.ToDictionary();
        parts.TryAdd(PartName, this);
        CheckpointFile.Save(path, parts);
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
