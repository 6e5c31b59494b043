using Unified.Core.Distributed;
using Unified.Core.State;
using Unified.Core.Training;

namespace Unified.Core.Checkpointing;

/// <summary>
/// Everything a fit needs to resume exactly, as one named map of stateful parts: <c>model</c> (parameters and buffers),
/// <c>optimizer</c>, <c>lr_scheduler</c> (when there is one; with several optimisers <c>optimizer_1</c>, <c>lr_scheduler_1</c>, ...), <c>kernel</c> (global step), <c>rng</c> (the CPU
/// generator), <c>logged</c> (the epoch's running means), <c>hparams</c> (the module's hyper-parameters), plus
/// what a front-end adds (its loop progress, callbacks or handlers). Both front-ends build one per fit; saving and
/// restoring it is the same code for both.
/// </summary>
public sealed class TrainingState : ICheckpointWriter
{
    readonly Dictionary<string, IStateful> parts = new(StringComparer.Ordinal);
    readonly StepKernel kernel;
    readonly HashSet<string> optional = new(StringComparer.Ordinal) { "hparams" };

    /// <summary>The parts of <paramref name="module"/> trained by <paramref name="kernel"/>.</summary>
    public TrainingState(ITrainingModule module, StepKernel kernel)
    {
        this.kernel = kernel;
        parts[CheckpointKeys.ModelPart] = new ModelPart(new ModuleState(module.Network), kernel);
        // Lightning's optimizer_states and lr_schedulers lists, as parts: optimizer, optimizer_1, ...; lr_scheduler, lr_scheduler_1, ...
        for (int i = 0; i < kernel.OptimizerConfigs.Count; i++)
        {
            var config = kernel.OptimizerConfigs[i];
            parts[OptimizerPart(i)] = new OptimizerState(config.Optimizer);
            if (config.Scheduler is { } scheduler) parts[SchedulerPart(i)] = new SchedulerState(scheduler);
        }
        parts["kernel"] = kernel;
        parts["rng"] = new RngState();
        parts["logged"] = module.Logged;
        parts["hparams"] = new HyperparametersState(module.Hyperparameters);
    }

    /// <summary>The part holding the state of optimiser <paramref name="index"/> of <see cref="StepKernel.OptimizerConfigs"/>: <c>optimizer</c>, then <c>optimizer_1</c>, ...</summary>
    public static string OptimizerPart(int index) => index == 0 ? "optimizer" : $"optimizer_{index}";

    /// <summary>The part holding the state of optimiser <paramref name="index"/>'s scheduler: <c>lr_scheduler</c>, then <c>lr_scheduler_1</c>, ...</summary>
    public static string SchedulerPart(int index) => index == 0 ? "lr_scheduler" : $"lr_scheduler_{index}";

    /// <summary>The parts by name.</summary>
    public IReadOnlyDictionary<string, IStateful> Parts => parts;

    /// <summary>
    /// Adds a front-end part (loop progress, a callback, a handler). An <paramref name="optional"/> part is restored
    /// only when the checkpoint has it (e.g. a callback added after the checkpoint was written, as Lightning allows).
    /// </summary>
    /// <exception cref="ArgumentException">The name is taken or not a valid part name.</exception>
    public TrainingState Add(string name, IStateful part, bool optional = false)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.')) throw new ArgumentException($"Part name '{name}' must be non-empty and without dots.", nameof(name));
        if (!parts.TryAdd(name, part)) throw new ArgumentException($"A part named '{name}' is already registered.", nameof(name));
        if (optional) this.optional.Add(name);
        return this;
    }

    /// <summary>
    /// Replaces part <paramref name="name"/> by what <paramref name="wrap"/> makes of it, e.g. a callback that saves
    /// other model weights than the ones being trained (Lightning's weight averaging puts the average in the model's place).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No part has that name.</exception>
    public TrainingState Wrap(string name, Func<IStateful, IStateful> wrap)
    {
        if (!parts.TryGetValue(name, out var part)) throw new KeyNotFoundException($"No part named '{name}' is registered.");
        parts[name] = wrap(part);
        return this;
    }

    /// <summary>
    /// The ranks that share this fit (the DDP seam): rank 0 writes each checkpoint and every rank waits at a barrier
    /// until it is durable, so that no rank runs ahead of a save. Defaults to a single process.
    /// </summary>
    public IProcessGroup ProcessGroup { get; set; } = SingleProcessGroup.Instance;

    /// <summary>
    /// Writes checkpoints in the background (Lightning's <c>AsyncCheckpointIO</c>): <see cref="Save"/> takes a snapshot
    /// and returns; the owner flushes and disposes the queue. Null (default): <see cref="Save"/> returns once the file is durable.
    /// Under ddp the barrier then waits for rank 0's snapshot, not for the file.
    /// </summary>
    public CheckpointWriteQueue? WriteQueue { get; set; }

    /// <inheritdoc />
    public void Save(string path)
    {
        if (ProcessGroup.Rank == 0)
        {
            if (WriteQueue is { } queue) queue.Submit(path, CheckpointFile.Snapshot(parts));
            else CheckpointFile.Save(path, parts);
        }
        if (ProcessGroup.WorldSize > 1) ProcessGroup.Barrier();
    }

    /// <summary>Restores every part from the checkpoint at <paramref name="path"/>.</summary>
    public void Restore(string path)
    {
        using var contents = CheckpointFile.Load(path);
        // Before any optimiser state is loaded, so that the message names the cause rather than a parameter mismatch.
        if (contents.Parts.TryGetValue("kernel", out var saved))
            try
            {
                kernel.ThrowIfOtherOptimizerCount(saved);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Checkpoint '{path}', part 'kernel': {e.Message}", e);
            }
        contents.Restore(parts.Where(p => !optional.Contains(p.Key) || contents.Parts.ContainsKey(p.Key)).ToDictionary());
    }

    /// <summary>A part name for a callback or handler: its key with anything but letters, digits, '_' and '-' replaced by '_'.</summary>
    public static string PartName(string prefix, string key) =>
        prefix + "_" + new string(key.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').ToArray());

    // Under mixed precision the network runs on low-precision copies of its parameters; switching it back to the
    // float32 masters first (the next step switches again, copying the same values) saves and loads the weights the
    // optimiser updates, whoever saves the part.
    sealed class ModelPart(ModuleState weights, StepKernel kernel) : IStateful
    {
        public StateDict StateDict()
        {
            kernel.Finish();
            return weights.StateDict();
        }

        public void LoadStateDict(StateDict state)
        {
            kernel.Finish();
            weights.LoadStateDict(state);
        }
    }
}
