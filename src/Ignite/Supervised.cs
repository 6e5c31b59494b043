using System.Runtime.CompilerServices;
using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Accelerators;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Metrics;
using Unified.Core.Numerics;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Ignite;

/// <summary>
/// Ready-made engines, as Ignite's <c>create_supervised_trainer</c> / <c>create_supervised_evaluator</c>. The trainer's
/// process function is Core's <see cref="StepKernel"/>, the same step the Lightning front-end takes.
/// </summary>
public static class Supervised
{
    /// <summary>
    /// A trainer engine for <paramref name="module"/>: each iteration is one kernel step; the output is the detached
    /// loss tensor; at epoch end the module's logged means are in <c>State.Metrics</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="SupervisedTrainerOptions.Scheduler"/> is set: a module's <c>ConfigureOptimizers</c> returns its scheduler.</exception>
    public static Engine CreateTrainer(ITrainingModule module, SupervisedTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (options?.Scheduler is not null)
            throw new ArgumentException("SupervisedTrainerOptions.Scheduler is for CreateTrainer(model, optimizer, lossFn); a module returns its scheduler from ConfigureOptimizers.", nameof(options));
        return CreateTrainer(module, options ?? new SupervisedTrainerOptions(), null);
    }

    static Engine CreateTrainer(ITrainingModule module, SupervisedTrainerOptions options, Func<Batch, Tensor, object?>? output)
    {
        var step = options.StepOptions();
        options.Ddp.Validate();
        var device = Accelerator.Resolve(options.Accelerator).Device;
        // A network passed through Idist.AutoModel trains over Idist's group unless the options name one.
        var auto = options.ProcessGroup is null ? Distributed.Idist.AutoGroupFor(module.Network) : null;
        var ddp = auto is { SyncBatchNorm: true } && !options.Ddp.SyncBatchNorm
            ? new DdpOptions { BucketCapMb = options.Ddp.BucketCapMb, BroadcastBuffers = options.Ddp.BroadcastBuffers, OverlapWithBackward = options.Ddp.OverlapWithBackward, SyncBatchNorm = true }
            : options.Ddp;
        var strategy = (options.ProcessGroup ?? auto?.Group) is { } group ? new DdpStrategy(group, ddp) : null;
        if (strategy is not null) device = strategy.DeviceFor(device);
        // Under data parallelism only rank 0 writes to the experiment loggers.
        var recording = options.RecorderOptions(isGlobalZero: strategy?.IsGlobalZero ?? true);
        var kernel = StepKernel.Create(module, device, step, strategy is null ? null : strategy.Wrap);
        if (kernel.OptimizerConfigs.Count > 1)
        {
            kernel.Dispose();
            throw new NotSupportedException($"{module.GetType().Name}.ConfigureOptimizers returned {kernel.OptimizerConfigs.Count} optimizers; a supervised trainer takes one step per iteration: return one OptimizerConfig, or write a process function that steps each optimizer.");
        }
        FitRecorder? recorder = null;
        int? finishedEpoch = null;
        var prepare = options.PrepareBatch ?? ((batch, device) => batch.MoveTo(device));
        Func<Engine, Batch, object?> process = (engine, batch) =>
        {
            var onDevice = prepare(batch, device);
            engine.ReplaceBatch(onDevice);
            int index = engine.State.EpochIteration - 1;
            long start = FitRecorder.StepStarting();
            var loss = kernel.Step(() => module.TrainingStep(onDevice, index), isLastInEpoch: index + 1 == engine.State.EpochLength, batchIndex: index);
            recorder?.StepCompleted(start, loss, onDevice.Size, kernel.GlobalStep);
            return output is null ? loss : output(onDevice, loss);
        };
        var engine = options.Deterministic ? new DeterministicEngine(process) : new Engine(process);
        engine.CanInterrupt = _ => kernel.AtStepBoundary;
        // Under ddp rank 0 writes each checkpoint and every rank waits until it is durable.
        TrainingStates.Add(engine, new TrainingState(module, kernel) { ProcessGroup = strategy?.Group ?? SingleProcessGroup.Instance }.Add("trainer", engine));
        // An epoch is recorded once all its EpochCompleted handlers ran (validation included): at the next epoch's
        // start or at the end of the run.
        void RecordFinishedEpoch(Engine e)
        {
            if (finishedEpoch is not int epoch) return;
            finishedEpoch = null;
            recorder?.EpochCompleted(new EpochResult(epoch, kernel.GlobalStep, e.State.ScalarMetrics()));
        }
        engine.On(Events.Started, e =>
        {
            recorder = new FitRecorder(recording);
            recorder.FitStarted(module, kernel, e.State.MaxEpochs ?? 0, e.State.EpochLength ?? 0);
        });
        bool epochOpen = false;
        engine.On(Events.EpochStarted, e =>
        {
            RecordFinishedEpoch(e);
            // A run resumed mid-epoch keeps the running means restored from the checkpoint.
            if (e.State.EpochIteration == 0) module.Logged.Reset();
            module.Network.train();
            recorder?.EpochStarted(e.State.Epoch - 1);
            epochOpen = true;
        });
        engine.On(Events.EpochCompleted, e =>
        {
            epochOpen = false;
            kernel.EpochEnd(e.State.Epoch - 1);
            CopyLogged(module, e, strategy?.Group);
            finishedEpoch = e.State.Epoch - 1;
        });
        // Terminated inside an epoch (e.g. at max steps): that epoch's means are still recorded, but its EpochCompleted
        // (the epoch-interval scheduler step) does not run, so that a resume continues inside the epoch exactly.
        engine.On(Events.Terminate, e =>
        {
            if (!epochOpen) return;
            epochOpen = false;
            CopyLogged(module, e, strategy?.Group);
            finishedEpoch = e.State.Epoch - 1;
        });
        if (strategy is { Group.WorldSize: > 1 })
            engine.On(Events.Started, e => strategy.EnsureSameOnAllRanks(e.State.EpochLength ?? 0, "training batches per epoch"));
        engine.OnRunEnd(failure =>
        {
            kernel.Finish();
            if (recorder is not null)
            {
                if (failure is null)
                {
                    RecordFinishedEpoch(engine);
                    recorder.FitCompleted();
                }
                else recorder.FitFailed(failure);
                recorder.Dispose();
                (recorder, finishedEpoch) = (null, null);
            }
            // A failure on one rank ends all of them: the others would wait in their next all-reduce until the timeout.
            if (failure is not null and not OperationCanceledException && strategy is { Group.WorldSize: > 1 }) strategy.Abort(failure, Console.Error);
        });
        return engine;
    }

    /// <summary>
    /// Everything a trainer made by <c>CreateTrainer</c> needs to resume, as a named map for <see cref="Checkpoint"/>'s
    /// <c>toSave</c>: <c>model</c>, <c>optimizer</c>, <c>lr_scheduler</c> (if any), <c>kernel</c>, <c>rng</c>,
    /// <c>logged</c> and <c>trainer</c> (the engine's counters). Add handler states with <see cref="Core.Checkpointing.TrainingState.Add"/>.
    /// </summary>
    /// <example><code>var handler = new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver("ckpt"), nSaved: 2);</code></example>
    /// <exception cref="ArgumentException"><paramref name="trainer"/> was not made by <c>CreateTrainer</c>.</exception>
    public static TrainingState ToSave(Engine trainer) => TrainingStates.TryGetValue(trainer, out var state)
        ? state
        : throw new ArgumentException("This engine was not made by Supervised.CreateTrainer; build its to-save map from its parts.", nameof(trainer));

    static readonly ConditionalWeakTable<Engine, TrainingState> TrainingStates = new();

    /// <summary>A trainer from parts: loss = <paramref name="lossFunction"/>(model(x), y), stepped by <paramref name="optimizer"/>.</summary>
    /// <example><code>var trainer = Supervised.CreateTrainer(model, optim.Adam(model.parameters()), (p, y) =&gt; nn.functional.cross_entropy(p, y));</code></example>
    /// <remarks>The epoch's mean loss is in <c>State.Metrics["train_loss"]</c>; <see cref="SupervisedTrainerOptions.Scheduler"/> is the scheduler slot.</remarks>
    public static Engine CreateTrainer(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Func<Tensor, Tensor, Tensor> lossFunction,
        SupervisedTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(lossFunction);
        options ??= new SupervisedTrainerOptions();
        var optimizers = new OptimizerConfig(optimizer, options.Scheduler, options.SchedulerInterval);
        return CreateTrainer(new SupervisedStep(model, lossFunction, optimizers, null, keepPrediction: false), options, null);
    }

    /// <summary>
    /// Ignite's <c>create_supervised_trainer</c> with its keyword arguments: loss = <paramref name="lossFn"/>(
    /// <paramref name="modelTransform"/>(model(x)), y) per batch prepared by <paramref name="prepareBatch"/>, one kernel
    /// step each (precision, accumulation, clipping as Core's <see cref="StepKernel"/>); the output is
    /// <paramref name="outputTransform"/>(x, y, y_pred, loss), by default the detached loss tensor (Ignite returns
    /// <c>loss.item()</c>, a sync per step); the epoch's mean loss is in <c>State.Metrics["train_loss"]</c>.
    /// </summary>
    /// <example><code>
    /// var trainer = Supervised.CreateSupervisedTrainer(model, optimizer, (p, y) =&gt; nn.functional.cross_entropy(p, y),
    ///     device: "cpu", gradientAccumulationSteps: 4, clipping: 1.0, deterministic: true, scheduler: optim.lr_scheduler.StepLR(optimizer, 1));
    /// </code></example>
    /// <param name="model">The network.</param>
    /// <param name="optimizer">Its optimiser.</param>
    /// <param name="lossFn">loss(y_pred, y).</param>
    /// <param name="device"><c>cpu</c>, <c>cuda</c> or <c>auto</c>.</param>
    /// <param name="precision">As <see cref="SupervisedTrainerOptions.Precision"/> (Ignite's <c>amp_mode</c>/<c>scaler</c>).</param>
    /// <param name="gradientAccumulationSteps">Micro-batches per optimiser step.</param>
    /// <param name="clipping">Gradient-norm clip threshold; null for none.</param>
    /// <param name="prepareBatch">(batch, device) → the batch to step on; it owns the batch given.</param>
    /// <param name="modelTransform">Applied to the model's output before the loss.</param>
    /// <param name="outputTransform">(x, y, y_pred, loss) → the engine's output; loss is disposed after it unless returned, y_pred at the next step, so copy what you keep.</param>
    /// <param name="deterministic">A <see cref="DeterministicEngine"/>: reseeded from (seed, iteration) every iteration.</param>
    /// <param name="scheduler">An LR scheduler stepped every epoch (the scheduler slot), saved as <c>lr_scheduler</c>.</param>
    /// <param name="options">Everything else (loggers, data parallelism, …); the arguments above override its fields.</param>
    public static Engine CreateSupervisedTrainer(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Func<Tensor, Tensor, Tensor> lossFn,
        string device = "auto", string precision = "32-true", int gradientAccumulationSteps = 1, double? clipping = null,
        Func<Batch, Device, Batch>? prepareBatch = null, Func<Tensor, Tensor>? modelTransform = null,
        Func<Tensor, Tensor, Tensor, Tensor, object?>? outputTransform = null, bool deterministic = false,
        optim.lr_scheduler.LRScheduler? scheduler = null, SupervisedTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(lossFn);
        options ??= new SupervisedTrainerOptions();
        (options.Accelerator, options.Precision, options.GradientAccumulationSteps, options.ClipGradient) = (device, precision, gradientAccumulationSteps, clipping);
        (options.PrepareBatch, options.Deterministic) = (prepareBatch ?? options.PrepareBatch, deterministic || options.Deterministic);
        options.Scheduler = scheduler ?? options.Scheduler;
        var step = new SupervisedStep(model, lossFn, new OptimizerConfig(optimizer, options.Scheduler, options.SchedulerInterval), modelTransform, keepPrediction: outputTransform is not null);
        Func<Batch, Tensor, object?>? output = outputTransform is null ? null : (batch, loss) =>
        {
            var result = outputTransform(batch.Input, batch.Target, step.LastPrediction!, loss);
            if (!ReferenceEquals(result, loss)) loss.Dispose();
            return result;
        };
        return CreateTrainer(step, options, output);
    }

    /// <summary>
    /// An evaluator engine that runs <paramref name="module"/>'s validation step per batch (no grad, eval mode);
    /// when it completes, the logged means are in <c>State.Metrics</c>.
    /// </summary>
    /// <param name="module">The module whose validation step runs.</param>
    /// <param name="accelerator"><c>cpu</c>, <c>cuda</c> or <c>auto</c>.</param>
    /// <param name="processGroup">Ranks whose shards of the data are evaluated together: the logged means are reduced over them (collective).</param>
    public static Engine CreateEvaluator(ITrainingModule module, string accelerator = "auto", IProcessGroup? processGroup = null) =>
        CreateEvaluator(module, (batch, index) =>
        {
            EvaluationStep.Run(module, batch, index);
            return null;
        }, accelerator, processGroup);

    /// <summary>
    /// An evaluator that runs <paramref name="step"/> per batch (on the device, no grad, eval mode, its own dispose scope):
    /// e.g. a test step that logs, or a predict step whose tensor becomes the iteration's output (moved out of the scope;
    /// the handler that keeps it owns it). When it completes, the logged means are in <c>State.Metrics</c>.
    /// </summary>
    /// <example><code>var tester = Supervised.CreateEvaluator(module, (b, i) =&gt; { module.TestStep(b, i); return null; });</code></example>
    public static Engine CreateEvaluator(ITrainingModule module, Func<Batch, int, object?> step, string accelerator = "auto", IProcessGroup? processGroup = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(step);
        var device = Accelerator.Resolve(accelerator).Device;
        if (processGroup is not null) device = new DdpStrategy(processGroup).DeviceFor(device);
        var engine = new Engine((engine, batch) =>
        {
            var onDevice = batch.MoveTo(device);
            engine.ReplaceBatch(onDevice);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var output = step(onDevice, engine.State.EpochIteration - 1);
            return output is Tensor tensor ? tensor.MoveToOuterDisposeScope() : output;
        });
        // The module's running means belong to the trainer: an evaluation run from its handlers (at epoch end, or every
        // N iterations) must not replace the epoch's training means, which a mid-epoch checkpoint saves.
        Unified.Core.State.StateDict? training = null;
        engine.On(Events.Started, _ =>
        {
            training = Copy(module.Logged.StateDict());
            module.Logged.Reset();
            module.Network.eval();
        });
        engine.On(Events.Completed, e =>
        {
            CopyLogged(module, e, processGroup);
            module.Network.train();
        });
        engine.OnRunEnd(_ =>
        {
            if (training is null) return;
            module.Logged.LoadStateDict(training);
            foreach (var tensor in training.Tensors.Values) tensor.Dispose();
            training = null;
        });
        TraceAsValidation(engine);
        return engine;
    }

    /// <summary>
    /// An evaluator that outputs <see cref="EvaluationOutput"/>(model(x), y) per batch and computes
    /// <paramref name="metrics"/> over the run, as <c>create_supervised_evaluator(model, metrics)</c>.
    /// </summary>
    /// <param name="model">The network to evaluate.</param>
    /// <param name="metrics">Metrics by name, computed over the whole run.</param>
    /// <param name="accelerator"><c>cpu</c>, <c>cuda</c> or <c>auto</c>.</param>
    /// <param name="processGroup">Ranks whose shards of the data are evaluated together: the metrics are synced over them (collective).</param>
    public static Engine CreateEvaluator(nn.Module<Tensor, Tensor> model, IReadOnlyDictionary<string, Metric> metrics, string accelerator = "auto",
        IProcessGroup? processGroup = null)
    {
        var device = Accelerator.Resolve(accelerator).Device;
        if (processGroup is not null) device = new DdpStrategy(processGroup).DeviceFor(device);
        var engine = new Engine((engine, batch) =>
        {
            var onDevice = batch.MoveTo(device);
            engine.ReplaceBatch(onDevice);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return new EvaluationOutput(model.call(onDevice.Input).MoveToOuterDisposeScope(), onDevice.Target);
        });
        engine.On(Events.Started, _ => model.eval());
        engine.On(Events.Completed, _ => model.train());
        foreach (var (name, metric) in metrics) metric.Attach(engine, name, usage: MetricUsage.Run, processGroup: processGroup);
        TraceAsValidation(engine);
        return engine;
    }

    /// <summary>
    /// Ignite's <c>create_supervised_evaluator</c> with its keyword arguments: per batch prepared by
    /// <paramref name="prepareBatch"/>, y_pred = <paramref name="modelTransform"/>(model(x)) under no-grad in eval mode
    /// and <paramref name="precision"/>'s compute type; the output is <paramref name="outputTransform"/>(x, y, y_pred), by
    /// default an <see cref="EvaluationOutput"/>(y_pred, y), which <paramref name="metrics"/> read over the run.
    /// </summary>
    /// <example><code>var evaluator = Supervised.CreateSupervisedEvaluator(model, new Dictionary&lt;string, Metric&gt; { ["accuracy"] = new Accuracy() }, device: "cpu");</code></example>
    /// <param name="model">The network to evaluate.</param>
    /// <param name="metrics">Metrics by name, computed over the whole run.</param>
    /// <param name="device"><c>cpu</c>, <c>cuda</c> or <c>auto</c>.</param>
    /// <param name="precision">One of <see cref="PrecisionPlugins.Names"/>; the forward runs in its compute type.</param>
    /// <param name="prepareBatch">(batch, device) → the batch to evaluate; it owns the batch given.</param>
    /// <param name="modelTransform">Applied to the model's output.</param>
    /// <param name="outputTransform">(x, y, y_pred) → the engine's output (what the metrics' output transforms see).</param>
    public static Engine CreateSupervisedEvaluator(nn.Module<Tensor, Tensor> model, IReadOnlyDictionary<string, Metric>? metrics = null,
        string device = "auto", string precision = "32-true", Func<Batch, Device, Batch>? prepareBatch = null,
        Func<Tensor, Tensor>? modelTransform = null, Func<Tensor, Tensor, Tensor, object?>? outputTransform = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        PrecisionPlugins.ThrowIfUnknown(precision, nameof(precision));
        var target = Accelerator.Resolve(device).Device;
        // The kernel's numerics: a "-true" precision converts the network once, a "-mixed" one runs on compute copies
        // of the float32 weights while a run is active.
        var plugin = PrecisionPlugins.Create(precision, target);
        plugin.ConnectModule(model);
        var prepare = prepareBatch ?? ((batch, device) => batch.MoveTo(device));
        var engine = new Engine((engine, batch) =>
        {
            var onDevice = prepare(batch, target);
            engine.ReplaceBatch(onDevice);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var output = model.call(onDevice.Input);
            var yPred = modelTransform is null ? output : modelTransform(output);
            if (outputTransform is null) return new EvaluationOutput(yPred.MoveToOuterDisposeScope(), onDevice.Target);
            var result = outputTransform(onDevice.Input, onDevice.Target, yPred);
            // What leaves the step's scope: a tensor or an EvaluationOutput's prediction (values in other objects are the transform's to copy).
            (result as Tensor ?? (result as EvaluationOutput)?.Prediction)?.MoveToOuterDisposeScope();
            return result;
        });
        engine.On(Events.Started, _ =>
        {
            plugin.Activate();
            model.eval();
        });
        engine.OnRunEnd(_ =>
        {
            plugin.Deactivate();
            model.train();
        });
        foreach (var (name, metric) in metrics ?? new Dictionary<string, Metric>()) metric.Attach(engine, name, usage: MetricUsage.Run);
        TraceAsValidation(engine);
        return engine;
    }

    // Each run of an evaluator is a "validation" span (a child of the trainer's span when run from its handlers).
    static void TraceAsValidation(Engine engine)
    {
        System.Diagnostics.Activity? span = null;
        engine.On(Events.Started, _ => span = FitRecorder.StartValidation("ignite"));
        engine.OnRunEnd(failure =>
        {
            if (failure is not null) span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, failure.Message);
            span?.Dispose();
            span = null;
        });
    }

    static Unified.Core.State.StateDict Copy(Unified.Core.State.StateDict state)
    {
        var copy = new Unified.Core.State.StateDict();
        foreach (var (key, tensor) in state.Tensors) copy.Tensors[key] = tensor.clone().DetachFromDisposeScope();
        foreach (var (key, value) in state.Values) copy.Values[key] = value?.DeepClone();
        return copy;
    }

    static void CopyLogged(ITrainingModule module, Engine engine, IProcessGroup? group)
    {
        var means = group is null ? module.Logged.Compute() : module.Logged.Compute(group);
        foreach (var (name, value) in means) engine.State.Metrics[name] = value;
    }
}
