using System.Runtime.CompilerServices;
using Unified.Core.Data;
using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Accelerators;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Metrics;
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
    public static Engine CreateTrainer(ITrainingModule module, SupervisedTrainerOptions? options = null)
    {
        options ??= new SupervisedTrainerOptions();
        var step = options.StepOptions();
        options.Ddp.Validate();
        var device = Accelerator.Resolve(options.Accelerator).Device;
        var strategy = options.ProcessGroup is { } group ? new DdpStrategy(group, options.Ddp) : null;
        if (strategy is not null) device = strategy.DeviceFor(device);
        // Under data parallelism only rank 0 writes to the experiment loggers.
        var recording = options.RecorderOptions(isGlobalZero: strategy?.IsGlobalZero ?? true);
        var kernel = StepKernel.Create(module, device, step, strategy is null ? null : strategy.Wrap);
        FitRecorder? recorder = null;
        int? finishedEpoch = null;
        var engine = new Engine((engine, batch) =>
        {
            var onDevice = batch.MoveTo(device);
            engine.ReplaceBatch(onDevice);
            int index = engine.State.EpochIteration - 1;
            long start = FitRecorder.StepStarting();
            var loss = kernel.Step(() => module.TrainingStep(onDevice, index), isLastInEpoch: index + 1 == engine.State.EpochLength);
            recorder?.StepCompleted(start, loss, onDevice.Size, kernel.GlobalStep);
            return loss;
        });
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
    public static Engine CreateTrainer(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Func<Tensor, Tensor, Tensor> lossFunction,
        SupervisedTrainerOptions? options = null) =>
        CreateTrainer(new SupervisedModule(model, lossFunction, optimizer), options);

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
        engine.OnRunEnd(() =>
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
