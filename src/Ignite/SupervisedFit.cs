using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Distributed;
using Unified.Core.Training;

namespace Unified.Ignite;

/// <summary>
/// A whole supervised fit in Ignite's idiom: <see cref="Supervised.CreateTrainer(ITrainingModule, SupervisedTrainerOptions?)"/>
/// and <see cref="Supervised.CreateEvaluator(ITrainingModule, string, IProcessGroup?)"/> with handlers attached for
/// validation at every (n-th) epoch's end, max steps, learning-rate logging, <see cref="Checkpoint"/>s (a rolling <c>last.ckpt</c> and the best k),
/// <see cref="EarlyStopping"/> and <see cref="TimeLimit"/>, and resume. Attach your own handlers to <see cref="Trainer"/>,
/// <see cref="Evaluator"/>, <see cref="TrainStarted"/> and <see cref="EpochValidated"/> before <see cref="Run"/>.
/// </summary>
/// <example><code>
/// var fit = new SupervisedFit(module, data, new SupervisedFitOptions { MaxEpochs = 3, Checkpoints = new() { DirPath = "ckpt" } });
/// fit.Trainer.On(SupervisedFit.EpochValidated, e =&gt; Console.WriteLine(e.State.Metric("val_loss")));
/// fit.Run();
/// </code></example>
public sealed class SupervisedFit
{
    readonly ITrainingModule module;
    readonly SupervisedFitOptions options;
    readonly IProcessGroup? group;
    readonly List<EpochResult> history = [];
    readonly HashSet<string> validationNames = new(StringComparer.Ordinal);
    bool started;
    CancellationToken validationToken;

    /// <summary>Fired on the trainer when training starts: after <see cref="Events.Started"/>'s handlers and the sanity check.</summary>
    public static Event TrainStarted { get; } = Event.Custom("TRAIN_STARTED");

    /// <summary>
    /// Fired on the trainer at every epoch's end (and at a stop inside an epoch) once validation ran and its metrics are in
    /// <c>State.Metrics</c>; early stopping and checkpoints run after this event's other handlers, so they see what those logged.
    /// </summary>
    public static Event EpochValidated { get; } = Event.Custom("EPOCH_VALIDATED");

    /// <summary>Builds the engines; options are checked here.</summary>
    public SupervisedFit(ITrainingModule module, IDataModule data, SupervisedFitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(data);
        this.options = options ?? new SupervisedFitOptions();
        this.options.Check();
        this.module = module;
        group = this.options.Trainer.ProcessGroup;
        Data = group is null ? data : new ShardedDataModule(data, group);
        Trainer = Supervised.CreateTrainer(module, this.options.Trainer);
        ToSave = Supervised.ToSave(Trainer);
        Kernel = (StepKernel)ToSave.Parts["kernel"];
        if (this.options.Validate && Data.Validation is not null)
            Evaluator = Supervised.CreateEvaluator(module, this.options.Trainer.Accelerator, group);
        Trainer.RegisterEvents(TrainStarted, EpochValidated);
        // Ignite's idiom for a validation interval: the evaluator runs on EPOCH_COMPLETED(every=n), before the epoch's end is reported.
        Trainer.On(Events.EpochCompleted, ForgetValidation);
        Trainer.On(Events.EpochCompleted.Every(this.options.CheckValEveryNEpoch), RunValidation);
        Trainer.On(Events.EpochCompleted, EpochEnd);
        if (this.options.MaxSteps is long maxSteps) StopAt(maxSteps);
        // Attached here, before the user's handlers, as Lightning runs its callbacks' batch hooks before the module's.
        if (this.options.LearningRateMonitor is { } monitor)
            new OptimizerParamsHandler(Kernel, group is { Rank: not 0 } ? [] : [.. this.options.Trainer.Loggers], monitor, this.options.Trainer.LogEveryNSteps).Attach(Trainer);
    }

    /// <summary>The trainer engine.</summary>
    public Engine Trainer { get; }

    /// <summary>The evaluator engine run at every epoch's end; null without validation.</summary>
    public Engine? Evaluator { get; }

    /// <summary>The data the engines run (this rank's shard under data parallelism).</summary>
    public IDataModule Data { get; }

    /// <summary>The step kernel of <see cref="Trainer"/> (its hook points and global step).</summary>
    public StepKernel Kernel { get; }

    /// <summary>What a checkpoint holds; add parts before <see cref="Run"/> to save them too.</summary>
    public TrainingState ToSave { get; }

    /// <summary>The early-stopping handler once <see cref="Run"/> attached it; null without one.</summary>
    public EarlyStopping? EarlyStopping { get; private set; }

    /// <summary>The best-k checkpoint handler once <see cref="Run"/> attached it; null without one.</summary>
    public Checkpoint? BestCheckpoints { get; private set; }

    /// <summary>One entry per epoch end (an epoch stopped early included), with the trainer's metrics, validation included.</summary>
    public IReadOnlyList<EpochResult> History => history;

    /// <summary>
    /// Attaches the monitoring handlers, restores <see cref="SupervisedFitOptions.ResumeFrom"/> and runs the trainer to
    /// <see cref="SupervisedFitOptions.MaxEpochs"/> / <see cref="SupervisedFitOptions.MaxSteps"/>. A cancelled run saves
    /// <c>last.ckpt</c> (when checkpoints are on) before it throws.
    /// </summary>
    /// <exception cref="InvalidOperationException">The fit already ran.</exception>
    public IReadOnlyList<EpochResult> Run(CancellationToken cancellationToken = default)
    {
        if (started) throw new InvalidOperationException("This SupervisedFit already ran; build a new one for another fit.");
        started = true;
        // Under ddp every rank evaluates its shard to the end: a rank stopping alone would leave the others in the reduction.
        validationToken = group is null ? cancellationToken : default;
        bool resumed = options.ResumeFrom is not null;
        Trainer.On(Events.Started, e =>
        {
            if (!resumed) SanityCheck();
            e.FireEvent(TrainStarted);
        });
        AttachMonitors();
        if (options.ResumeFrom is { } path) ToSave.Restore(path);
        // A resumed fit whose last epoch or step already ran has nothing left to do: Run would start a new one.
        bool done = resumed && (Trainer.State.Epoch >= options.MaxEpochs && Trainer.State.EpochIteration == 0
            || options.MaxSteps is long m && Kernel.GlobalStep >= m);
        if (done) return history;
        if (group is null) Trainer.Run(Data.Train, options.MaxEpochs, cancellationToken);
        else
        {
            using var stop = Trainer.StopTogether(group, cancellationToken);
            Trainer.Run(Data.Train, options.MaxEpochs);
        }
        return history;
    }

    // A few validation batches before training so that a broken validation step fails early; what they log is dropped
    // (the evaluator restores the trainer's means when it ends).
    void SanityCheck()
    {
        if (Evaluator is null || Data.Validation is not { } validation || options.NumSanityValSteps == 0) return;
        int limit = options.NumSanityValSteps == -1 ? validation.Count : Math.Min(options.NumSanityValSteps, validation.Count);
        Evaluator.Run(validation, maxEpochs: 1, epochLength: limit);
    }

    // Ignite's idiom for max_steps: terminate once they are reached. Terminate skips the epoch's EpochCompleted, so the
    // loop position stays inside the epoch (a resume continues there) and the epoch-interval scheduler is not stepped;
    // the epoch's visible end (validation, EpochValidated, last.ckpt) runs at Terminate instead.
    void StopAt(long maxSteps)
    {
        Trainer.On(Events.IterationCompleted.Filter((e, _) => Kernel.GlobalStep >= maxSteps && MidEpoch(e)), e => e.Terminate());
        Trainer.On(Events.EpochCompleted, e => { if (Kernel.GlobalStep >= maxSteps) e.Terminate(); });
    }

    void RunValidation(Engine e)
    {
        if (Evaluator is null || Data.Validation is not { } validation) return;
        foreach (var (name, value) in Evaluator.Run(validation, cancellationToken: validationToken).ScalarMetrics())
        {
            e.State.Metrics[name] = value;
            validationNames.Add(name);
        }
    }

    // An epoch that does not validate reports no validation metrics, as Lightning's epoch results (check_val_every_n_epoch > 1).
    // Rebuilt rather than removed from, so that the loggers see the keys in the same order every epoch (the trainer's, then the evaluator's).
    void ForgetValidation(Engine e)
    {
        var metrics = e.State.Metrics;
        if (!validationNames.Any(metrics.ContainsKey)) return;
        var kept = metrics.Where(kv => !validationNames.Contains(kv.Key)).ToList();
        metrics.Clear();
        foreach (var (name, value) in kept) metrics[name] = value;
    }

    void EpochEnd(Engine e)
    {
        history.Add(new EpochResult(e.State.Epoch - 1, Kernel.GlobalStep, e.State.ScalarMetrics()));
        e.FireEvent(EpochValidated);
    }

    // After the user's handlers: Lightning runs monitoring callbacks after the module's on_train_epoch_end.
    void AttachMonitors()
    {
        Trainer.On(Events.Terminate, e =>
        {
            if (!MidEpoch(e)) return;
            ForgetValidation(e);
            if (e.State.Epoch % options.CheckValEveryNEpoch == 0) RunValidation(e);
            EpochEnd(e);
        });
        if (options.EarlyStopping is { } stopping)
        {
            EarlyStopping = new EarlyStopping(stopping.Patience, Score(stopping.Monitor, stopping.Mode), Trainer, stopping.MinDelta);
            ToSave.Add("handler_early_stopping", EarlyStopping, optional: true);
            Trainer.On(EpochValidated, EarlyStopping.Handle);
        }
        if (options.MaxTime is { } maxTime)
        {
            var limit = new TimeLimit(maxTime);
            // Only at optimiser-step boundaries, so that the checkpoint holds no half-accumulated gradients.
            Trainer.On(Events.IterationCompleted.Filter((_, _) => Kernel.AtStepBoundary), limit.Handle);
        }
        if (options.Checkpoints.DirPath is { } dir) AttachCheckpoints(Path.GetFullPath(dir));
    }

    void AttachCheckpoints(string dir)
    {
        var policy = options.Checkpoints;
        int rank = group?.Rank ?? 0;
        if (rank == 0) AtomicFile.RemoveStaleTemporaries(dir);
        if (policy.SaveTopK != 0 && rank == 0)
        {
            // The best k, ranked by the monitored metric (higher is better in Ignite, so Min negates it).
            BestCheckpoints = new Checkpoint(ToSave.Parts, new DiskSaver(dir, requireEmpty: false), "best", Score(policy.Monitor!, policy.Mode),
                policy.Monitor, policy.SaveTopK, _ => Kernel.GlobalStep);
            ToSave.Add(Checkpoint.PartName, BestCheckpoints, optional: true);
            Trainer.On(EpochValidated, BestCheckpoints.Handle);
        }
        // The rolling last.ckpt, written atomically in place by rank 0 (TrainingState.Save); every rank waits for it.
        string last = Path.Combine(dir, "last.ckpt");
        if (policy.EveryNTrainSteps is int n)
        {
            long savedAt = -1;
            Trainer.On(Events.IterationCompleted.Filter((_, _) => Kernel.AtStepBoundary && Kernel.GlobalStep % n == 0 && Kernel.GlobalStep != savedAt), _ =>
            {
                savedAt = Kernel.GlobalStep;
                ToSave.Save(last);
            });
        }
        Trainer.On(EpochValidated, _ => ToSave.Save(last));
        Trainer.On(Events.Interrupt, _ => ToSave.Save(last));
    }

    static Func<Engine, double> Score(string monitor, Mode mode) => mode == Mode.Min ? e => -e.State.Metric(monitor) : e => e.State.Metric(monitor);

    // Terminated before the epoch's last batch: its EpochCompleted did not run.
    static bool MidEpoch(Engine e) => e.State.EpochIteration < e.State.EpochLength;
}
