using System.Reflection;
using Unified.Core.Data;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Calls hooks in Lightning 2.x's order (trainer/call.py: <c>_call_callback_hooks</c>, then
/// <c>_call_lightning_module_hook</c>). Which callbacks and whether the module override each hook is decided once per
/// entry point, so a hook nobody overrides costs a field test per batch and nothing else.
/// </summary>
internal sealed class HookRunner
{
    static readonly Dictionary<(Type, string), bool> OverrideCache = [];

    readonly Dictionary<string, Callback[]> callbacksByHook = new(StringComparer.Ordinal);
    readonly TrainerView view;
    readonly Callback[] trainBatchStart, trainBatchEnd, beforeBackward, afterBackward, beforeOptimizerStep, beforeZeroGrad;
    readonly bool moduleTrainBatchStart, moduleTrainBatchEnd, moduleBeforeBackward, moduleAfterBackward, moduleBeforeOptimizerStep, moduleBeforeZeroGrad;
    bool exceptionReported;

    public HookRunner(IReadOnlyList<Callback> callbacks, ITrainingModule module, TrainerView view)
    {
        (Callbacks, Module, Lightning, this.view) = (callbacks, module, module as LightningModule, view);
        (trainBatchStart, moduleTrainBatchStart) = Find(nameof(Callback.OnTrainBatchStart));
        (trainBatchEnd, moduleTrainBatchEnd) = Find(nameof(Callback.OnTrainBatchEnd));
        (beforeBackward, moduleBeforeBackward) = Find(nameof(Callback.OnBeforeBackward));
        (afterBackward, moduleAfterBackward) = Find(nameof(Callback.OnAfterBackward));
        (beforeOptimizerStep, moduleBeforeOptimizerStep) = Find(nameof(Callback.OnBeforeOptimizerStep));
        (beforeZeroGrad, moduleBeforeZeroGrad) = Find(nameof(Callback.OnBeforeZeroGrad));
    }

    public IReadOnlyList<Callback> Callbacks { get; }

    public ITrainingModule Module { get; }

    public LightningModule? Lightning { get; }

    public bool HasTrainBatchStart => trainBatchStart.Length > 0 || moduleTrainBatchStart;

    public bool HasTrainBatchEnd => trainBatchEnd.Length > 0 || moduleTrainBatchEnd;

    /// <summary>Connects the backward and optimiser hooks to the kernel's hook points, only those someone overrides.</summary>
    public void Connect(StepKernel kernel)
    {
        var optimizer = kernel.Optimizers.Optimizer;
        if (beforeBackward.Length > 0 || moduleBeforeBackward)
            kernel.BeforeBackward = loss =>
            {
                foreach (var c in beforeBackward) c.OnBeforeBackward(view, Module, loss);
                if (moduleBeforeBackward) Lightning!.OnBeforeBackward(loss);
            };
        if (afterBackward.Length > 0 || moduleAfterBackward)
            kernel.AfterBackward = () =>
            {
                foreach (var c in afterBackward) c.OnAfterBackward(view, Module);
                if (moduleAfterBackward) Lightning!.OnAfterBackward();
            };
        if (beforeOptimizerStep.Length > 0 || moduleBeforeOptimizerStep)
            kernel.BeforeOptimizerStep += _ =>
            {
                // The optimiser being stepped, one of several under manual optimisation.
                var stepping = kernel.OptimizerConfigs[kernel.SteppingOptimizer].Optimizer;
                foreach (var c in beforeOptimizerStep) c.OnBeforeOptimizerStep(view, Module, stepping);
                if (moduleBeforeOptimizerStep) Lightning!.OnBeforeOptimizerStep(stepping);
            };
        if (beforeZeroGrad.Length > 0 || moduleBeforeZeroGrad)
            kernel.BeforeZeroGrad = () =>
            {
                foreach (var c in beforeZeroGrad) c.OnBeforeZeroGrad(view, Module, optimizer);
                if (moduleBeforeZeroGrad) Lightning!.OnBeforeZeroGrad(optimizer);
            };
    }

    public static void Disconnect(StepKernel kernel) => (kernel.BeforeBackward, kernel.AfterBackward, kernel.BeforeZeroGrad) = (null, null, null);

    /// <summary>Lightning's <c>on_train_batch_start</c>: -1 from the module ends the epoch.</summary>
    public int OnTrainBatchStart(Batch batch, int batchIndex)
    {
        foreach (var c in trainBatchStart) c.OnTrainBatchStart(view, Module, batch, batchIndex);
        return moduleTrainBatchStart ? Lightning!.OnTrainBatchStart(batch, batchIndex) : 0;
    }

    public void OnTrainBatchEnd(Tensor loss, Batch batch, int batchIndex)
    {
        foreach (var c in trainBatchEnd) c.OnTrainBatchEnd(view, Module, loss, batch, batchIndex);
        if (moduleTrainBatchEnd) Lightning!.OnTrainBatchEnd(loss, batch, batchIndex);
    }

    /// <summary>
    /// Runs hook <paramref name="name"/> on the callbacks that override it, then on the module if it does. A module
    /// hook of another name (or none) is given by <paramref name="onModule"/>'s name argument.
    /// </summary>
    public void Run(string name, Action<Callback> onCallback, Action<LightningModule>? onModule = null)
    {
        foreach (var c in For(name)) onCallback(c);
        if (onModule is not null && Lightning is not null && Overrides(Lightning.GetType(), typeof(LightningModule), name)) onModule(Lightning);
    }

    /// <summary>
    /// Lightning's <c>on_train_epoch_end</c> order (fit_loop.py): callbacks that do not monitor metrics, the module,
    /// then the monitoring ones (early stopping, checkpoints), so that they see what the module logged.
    /// </summary>
    public void OnTrainEpochEnd()
    {
        var callbacks = For(nameof(Callback.OnTrainEpochEnd));
        foreach (var c in callbacks) if (!c.Monitors) c.OnTrainEpochEnd(view, Module);
        if (Lightning is not null && Overrides(Lightning.GetType(), typeof(LightningModule), nameof(LightningModule.OnTrainEpochEnd))) Lightning.OnTrainEpochEnd();
        foreach (var c in callbacks) if (c.Monitors) c.OnTrainEpochEnd(view, Module);
    }

    /// <summary>Lightning's <c>on_exception</c>: callbacks only, once per entry point.</summary>
    public void OnException(Exception exception)
    {
        if (exceptionReported) return;
        exceptionReported = true;
        foreach (var c in For(nameof(Callback.OnException))) c.OnException(view, Module, exception);
    }

    /// <summary>Whether anyone overrides hook <paramref name="name"/> (for per-batch hooks, tested once per run).</summary>
    public bool Any(string name) => For(name).Length > 0 || (Lightning is not null && Overrides(Lightning.GetType(), typeof(LightningModule), name));

    Callback[] For(string name)
    {
        if (!callbacksByHook.TryGetValue(name, out var found))
            callbacksByHook[name] = found = Callbacks.Where(c => Overrides(c.GetType(), typeof(Callback), name) && (c is not LambdaCallback l || l.Has(name))).ToArray();
        return found;
    }

    (Callback[], bool) Find(string name) =>
        (For(name), Lightning is not null && Overrides(Lightning.GetType(), typeof(LightningModule), name));

    static bool Overrides(Type type, Type root, string name)
    {
        lock (OverrideCache)
        {
            if (OverrideCache.TryGetValue((type, name), out bool known)) return known;
            bool overrides = type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
                .Any(m => m.Name == name && m.DeclaringType != root && m.GetBaseDefinition().DeclaringType == root);
            OverrideCache[(type, name)] = overrides;
            return overrides;
        }
    }
}
