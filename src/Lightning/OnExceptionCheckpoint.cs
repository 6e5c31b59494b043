using Unified.Core.State;
using Unified.Core.Training;

namespace Unified.Lightning;

/// <summary>
/// Saves a resumable checkpoint when a fit fails or is cancelled, as Lightning's <c>OnExceptionCheckpoint</c>
/// (callbacks/on_exception_checkpoint.py): <c>DirPath/Filename.ckpt</c> (default <c>on_exception.ckpt</c>). A fit
/// resumed from that file deletes it when it ends successfully, as Lightning does; a file that this callback did not
/// write is never deleted. The state is saved at the last optimiser-step boundary; when the failure leaves
/// micro-batch gradients pending (accumulation), nothing resumable can be written and the failure is reported as it is.
/// </summary>
/// <example><code>options.Callbacks.Add(new OnExceptionCheckpoint("runs/ckpt"));</code></example>
public sealed class OnExceptionCheckpoint : Callback, IStateful
{
    const string FileExtension = ".ckpt";
    bool saving, resumedFromOwnFile;

    /// <summary>Creates the callback; the file is <c><paramref name="dirPath"/>/<paramref name="filename"/>.ckpt</c>.</summary>
    /// <exception cref="ArgumentException">The folder or the file name is empty, or the name has a folder in it.</exception>
    public OnExceptionCheckpoint(string dirPath, string filename = "on_exception")
    {
        if (string.IsNullOrWhiteSpace(dirPath)) throw new ArgumentException("dirPath must name the folder for the checkpoint.", nameof(dirPath));
        if (string.IsNullOrWhiteSpace(filename)) throw new ArgumentException("The filename cannot be empty.", nameof(filename));
        if (filename.IndexOfAny(['/', '\\']) >= 0) throw new ArgumentException($"Filename '{filename}' must be a name without folders; put folders in dirPath.", nameof(filename));
        CkptPath = Path.GetFullPath(Path.Combine(dirPath, filename + FileExtension));
    }

    /// <summary>Where the checkpoint is written (Lightning's <c>ckpt_path</c>).</summary>
    public string CkptPath { get; }

    /// <summary>The failure a checkpoint could not be saved for (pending gradients), or null.</summary>
    public Exception? SaveError { get; private set; }

    /// <inheritdoc />
    public override void OnException(TrainerView trainer, ITrainingModule module, Exception exception)
    {
        if (trainer.Stage != TrainerStage.Fit || trainer.Checkpoint is not { } writer) return;
        Directory.CreateDirectory(Path.GetDirectoryName(CkptPath)!);
        saving = true;
        try
        {
            writer.Save(CkptPath);
        }
        catch (InvalidOperationException e) // micro-batch gradients pending: not at a step boundary
        {
            SaveError = e;
        }
        finally
        {
            saving = false;
        }
    }

    /// <inheritdoc />
    public override void Teardown(TrainerView trainer, ITrainingModule module, TrainerStage stage)
    {
        if (stage == TrainerStage.Fit && resumedFromOwnFile && trainer.IsGlobalZero && File.Exists(CkptPath)) File.Delete(CkptPath);
        resumedFromOwnFile = false;
    }

    /// <inheritdoc />
    // Marks the file this callback writes, so that a fit resumed from it knows it may delete it.
    public StateDict StateDict()
    {
        var state = new StateDict();
        if (saving) state.Values["on_exception_path"] = CkptPath;
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state) =>
        resumedFromOwnFile = state.Values.TryGetValue("on_exception_path", out var path) && path?.GetValue<string>() == CkptPath;
}
