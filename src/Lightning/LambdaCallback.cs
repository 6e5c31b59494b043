using Unified.Core.Data;
using Unified.Core.State;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// A callback made of delegates, as Lightning's <c>LambdaCallback</c> (callbacks/lambda_function.py): pass one for
/// each hook to run; hooks without one are never called (they cost nothing, as a hook a callback does not override).
/// </summary>
/// <example><code>options.Callbacks.Add(new LambdaCallback(onTrainEpochEnd: (trainer, module) =&gt; Console.WriteLine(trainer.CurrentEpoch)));</code></example>
public sealed class LambdaCallback : Callback
{
    readonly Action<TrainerView, ITrainingModule, TrainerStage>? setup;
    readonly Action<TrainerView, ITrainingModule, TrainerStage>? teardown;
    readonly Action<TrainerView, ITrainingModule>? onFitStart;
    readonly Action<TrainerView, ITrainingModule>? onFitEnd;
    readonly Action<TrainerView, ITrainingModule>? onSanityCheckStart;
    readonly Action<TrainerView, ITrainingModule>? onSanityCheckEnd;
    readonly Action<TrainerView, ITrainingModule>? onTrainStart;
    readonly Action<TrainerView, ITrainingModule>? onTrainEnd;
    readonly Action<TrainerView, ITrainingModule>? onTrainEpochStart;
    readonly Action<TrainerView, ITrainingModule>? onTrainEpochEnd;
    readonly Action<TrainerView, ITrainingModule, Batch, int>? onTrainBatchStart;
    readonly Action<TrainerView, ITrainingModule, Tensor, Batch, int>? onTrainBatchEnd;
    readonly Action<TrainerView, ITrainingModule>? onValidationStart;
    readonly Action<TrainerView, ITrainingModule>? onValidationEnd;
    readonly Action<TrainerView, ITrainingModule>? onValidationEpochStart;
    readonly Action<TrainerView, ITrainingModule>? onValidationEpochEnd;
    readonly Action<TrainerView, ITrainingModule, Batch, int>? onValidationBatchStart;
    readonly Action<TrainerView, ITrainingModule, Batch, int>? onValidationBatchEnd;
    readonly Action<TrainerView, ITrainingModule>? onTestStart;
    readonly Action<TrainerView, ITrainingModule>? onTestEnd;
    readonly Action<TrainerView, ITrainingModule>? onTestEpochStart;
    readonly Action<TrainerView, ITrainingModule>? onTestEpochEnd;
    readonly Action<TrainerView, ITrainingModule, Batch, int>? onTestBatchStart;
    readonly Action<TrainerView, ITrainingModule, Batch, int>? onTestBatchEnd;
    readonly Action<TrainerView, ITrainingModule>? onPredictStart;
    readonly Action<TrainerView, ITrainingModule>? onPredictEnd;
    readonly Action<TrainerView, ITrainingModule>? onPredictEpochStart;
    readonly Action<TrainerView, ITrainingModule>? onPredictEpochEnd;
    readonly Action<TrainerView, ITrainingModule, Batch, int>? onPredictBatchStart;
    readonly Action<TrainerView, ITrainingModule, Tensor, Batch, int>? onPredictBatchEnd;
    readonly Action<TrainerView, ITrainingModule, Tensor>? onBeforeBackward;
    readonly Action<TrainerView, ITrainingModule>? onAfterBackward;
    readonly Action<TrainerView, ITrainingModule, optim.Optimizer>? onBeforeOptimizerStep;
    readonly Action<TrainerView, ITrainingModule, optim.Optimizer>? onBeforeZeroGrad;
    readonly Action<TrainerView, ITrainingModule, StateDict>? onSaveCheckpoint;
    readonly Action<TrainerView, ITrainingModule, StateDict>? onLoadCheckpoint;
    readonly Action<TrainerView, ITrainingModule, Exception>? onException;

    /// <summary>Creates the callback from the hooks given; each parameter is named after its <see cref="Callback"/> hook.</summary>
    /// <exception cref="ArgumentException">No hook was given.</exception>
    public LambdaCallback(
        Action<TrainerView, ITrainingModule, TrainerStage>? setup = null,
        Action<TrainerView, ITrainingModule, TrainerStage>? teardown = null,
        Action<TrainerView, ITrainingModule>? onFitStart = null,
        Action<TrainerView, ITrainingModule>? onFitEnd = null,
        Action<TrainerView, ITrainingModule>? onSanityCheckStart = null,
        Action<TrainerView, ITrainingModule>? onSanityCheckEnd = null,
        Action<TrainerView, ITrainingModule>? onTrainStart = null,
        Action<TrainerView, ITrainingModule>? onTrainEnd = null,
        Action<TrainerView, ITrainingModule>? onTrainEpochStart = null,
        Action<TrainerView, ITrainingModule>? onTrainEpochEnd = null,
        Action<TrainerView, ITrainingModule, Batch, int>? onTrainBatchStart = null,
        Action<TrainerView, ITrainingModule, Tensor, Batch, int>? onTrainBatchEnd = null,
        Action<TrainerView, ITrainingModule>? onValidationStart = null,
        Action<TrainerView, ITrainingModule>? onValidationEnd = null,
        Action<TrainerView, ITrainingModule>? onValidationEpochStart = null,
        Action<TrainerView, ITrainingModule>? onValidationEpochEnd = null,
        Action<TrainerView, ITrainingModule, Batch, int>? onValidationBatchStart = null,
        Action<TrainerView, ITrainingModule, Batch, int>? onValidationBatchEnd = null,
        Action<TrainerView, ITrainingModule>? onTestStart = null,
        Action<TrainerView, ITrainingModule>? onTestEnd = null,
        Action<TrainerView, ITrainingModule>? onTestEpochStart = null,
        Action<TrainerView, ITrainingModule>? onTestEpochEnd = null,
        Action<TrainerView, ITrainingModule, Batch, int>? onTestBatchStart = null,
        Action<TrainerView, ITrainingModule, Batch, int>? onTestBatchEnd = null,
        Action<TrainerView, ITrainingModule>? onPredictStart = null,
        Action<TrainerView, ITrainingModule>? onPredictEnd = null,
        Action<TrainerView, ITrainingModule>? onPredictEpochStart = null,
        Action<TrainerView, ITrainingModule>? onPredictEpochEnd = null,
        Action<TrainerView, ITrainingModule, Batch, int>? onPredictBatchStart = null,
        Action<TrainerView, ITrainingModule, Tensor, Batch, int>? onPredictBatchEnd = null,
        Action<TrainerView, ITrainingModule, Tensor>? onBeforeBackward = null,
        Action<TrainerView, ITrainingModule>? onAfterBackward = null,
        Action<TrainerView, ITrainingModule, optim.Optimizer>? onBeforeOptimizerStep = null,
        Action<TrainerView, ITrainingModule, optim.Optimizer>? onBeforeZeroGrad = null,
        Action<TrainerView, ITrainingModule, StateDict>? onSaveCheckpoint = null,
        Action<TrainerView, ITrainingModule, StateDict>? onLoadCheckpoint = null,
        Action<TrainerView, ITrainingModule, Exception>? onException = null)
    {
        this.setup = setup;
        this.teardown = teardown;
        this.onFitStart = onFitStart;
        this.onFitEnd = onFitEnd;
        this.onSanityCheckStart = onSanityCheckStart;
        this.onSanityCheckEnd = onSanityCheckEnd;
        this.onTrainStart = onTrainStart;
        this.onTrainEnd = onTrainEnd;
        this.onTrainEpochStart = onTrainEpochStart;
        this.onTrainEpochEnd = onTrainEpochEnd;
        this.onTrainBatchStart = onTrainBatchStart;
        this.onTrainBatchEnd = onTrainBatchEnd;
        this.onValidationStart = onValidationStart;
        this.onValidationEnd = onValidationEnd;
        this.onValidationEpochStart = onValidationEpochStart;
        this.onValidationEpochEnd = onValidationEpochEnd;
        this.onValidationBatchStart = onValidationBatchStart;
        this.onValidationBatchEnd = onValidationBatchEnd;
        this.onTestStart = onTestStart;
        this.onTestEnd = onTestEnd;
        this.onTestEpochStart = onTestEpochStart;
        this.onTestEpochEnd = onTestEpochEnd;
        this.onTestBatchStart = onTestBatchStart;
        this.onTestBatchEnd = onTestBatchEnd;
        this.onPredictStart = onPredictStart;
        this.onPredictEnd = onPredictEnd;
        this.onPredictEpochStart = onPredictEpochStart;
        this.onPredictEpochEnd = onPredictEpochEnd;
        this.onPredictBatchStart = onPredictBatchStart;
        this.onPredictBatchEnd = onPredictBatchEnd;
        this.onBeforeBackward = onBeforeBackward;
        this.onAfterBackward = onAfterBackward;
        this.onBeforeOptimizerStep = onBeforeOptimizerStep;
        this.onBeforeZeroGrad = onBeforeZeroGrad;
        this.onSaveCheckpoint = onSaveCheckpoint;
        this.onLoadCheckpoint = onLoadCheckpoint;
        this.onException = onException;
        if (!HookNames.Any(Has)) throw new ArgumentException("LambdaCallback needs at least one hook, e.g. new LambdaCallback(onTrainEpochEnd: (trainer, module) => ...).");
    }

    static readonly string[] HookNames =
    [
        nameof(Setup), nameof(Teardown), nameof(OnFitStart), nameof(OnFitEnd), nameof(OnSanityCheckStart),
        nameof(OnSanityCheckEnd), nameof(OnTrainStart), nameof(OnTrainEnd), nameof(OnTrainEpochStart),
        nameof(OnTrainEpochEnd), nameof(OnTrainBatchStart), nameof(OnTrainBatchEnd), nameof(OnValidationStart),
        nameof(OnValidationEnd), nameof(OnValidationEpochStart), nameof(OnValidationEpochEnd),
        nameof(OnValidationBatchStart), nameof(OnValidationBatchEnd), nameof(OnTestStart), nameof(OnTestEnd),
        nameof(OnTestEpochStart), nameof(OnTestEpochEnd), nameof(OnTestBatchStart), nameof(OnTestBatchEnd),
        nameof(OnPredictStart), nameof(OnPredictEnd), nameof(OnPredictEpochStart), nameof(OnPredictEpochEnd),
        nameof(OnPredictBatchStart), nameof(OnPredictBatchEnd), nameof(OnBeforeBackward), nameof(OnAfterBackward),
        nameof(OnBeforeOptimizerStep), nameof(OnBeforeZeroGrad), nameof(OnSaveCheckpoint), nameof(OnLoadCheckpoint),
        nameof(OnException)
    ];

    // Which hooks this instance runs (the trainer asks once per entry point).
    internal bool Has(string hook) => hook switch
    {
        nameof(Setup) => setup is not null,
        nameof(Teardown) => teardown is not null,
        nameof(OnFitStart) => onFitStart is not null,
        nameof(OnFitEnd) => onFitEnd is not null,
        nameof(OnSanityCheckStart) => onSanityCheckStart is not null,
        nameof(OnSanityCheckEnd) => onSanityCheckEnd is not null,
        nameof(OnTrainStart) => onTrainStart is not null,
        nameof(OnTrainEnd) => onTrainEnd is not null,
        nameof(OnTrainEpochStart) => onTrainEpochStart is not null,
        nameof(OnTrainEpochEnd) => onTrainEpochEnd is not null,
        nameof(OnTrainBatchStart) => onTrainBatchStart is not null,
        nameof(OnTrainBatchEnd) => onTrainBatchEnd is not null,
        nameof(OnValidationStart) => onValidationStart is not null,
        nameof(OnValidationEnd) => onValidationEnd is not null,
        nameof(OnValidationEpochStart) => onValidationEpochStart is not null,
        nameof(OnValidationEpochEnd) => onValidationEpochEnd is not null,
        nameof(OnValidationBatchStart) => onValidationBatchStart is not null,
        nameof(OnValidationBatchEnd) => onValidationBatchEnd is not null,
        nameof(OnTestStart) => onTestStart is not null,
        nameof(OnTestEnd) => onTestEnd is not null,
        nameof(OnTestEpochStart) => onTestEpochStart is not null,
        nameof(OnTestEpochEnd) => onTestEpochEnd is not null,
        nameof(OnTestBatchStart) => onTestBatchStart is not null,
        nameof(OnTestBatchEnd) => onTestBatchEnd is not null,
        nameof(OnPredictStart) => onPredictStart is not null,
        nameof(OnPredictEnd) => onPredictEnd is not null,
        nameof(OnPredictEpochStart) => onPredictEpochStart is not null,
        nameof(OnPredictEpochEnd) => onPredictEpochEnd is not null,
        nameof(OnPredictBatchStart) => onPredictBatchStart is not null,
        nameof(OnPredictBatchEnd) => onPredictBatchEnd is not null,
        nameof(OnBeforeBackward) => onBeforeBackward is not null,
        nameof(OnAfterBackward) => onAfterBackward is not null,
        nameof(OnBeforeOptimizerStep) => onBeforeOptimizerStep is not null,
        nameof(OnBeforeZeroGrad) => onBeforeZeroGrad is not null,
        nameof(OnSaveCheckpoint) => onSaveCheckpoint is not null,
        nameof(OnLoadCheckpoint) => onLoadCheckpoint is not null,
        nameof(OnException) => onException is not null,
        _ => false,
    };

    /// <inheritdoc />
    public override void Setup(TrainerView trainer, ITrainingModule module, TrainerStage stage) => setup?.Invoke(trainer, module, stage);

    /// <inheritdoc />
    public override void Teardown(TrainerView trainer, ITrainingModule module, TrainerStage stage) => teardown?.Invoke(trainer, module, stage);

    /// <inheritdoc />
    public override void OnFitStart(TrainerView trainer, ITrainingModule module) => onFitStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnFitEnd(TrainerView trainer, ITrainingModule module) => onFitEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnSanityCheckStart(TrainerView trainer, ITrainingModule module) => onSanityCheckStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnSanityCheckEnd(TrainerView trainer, ITrainingModule module) => onSanityCheckEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTrainStart(TrainerView trainer, ITrainingModule module) => onTrainStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTrainEnd(TrainerView trainer, ITrainingModule module) => onTrainEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTrainEpochStart(TrainerView trainer, ITrainingModule module) => onTrainEpochStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module) => onTrainEpochEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTrainBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => onTrainBatchStart?.Invoke(trainer, module, batch, batchIndex);

    /// <inheritdoc />
    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex) => onTrainBatchEnd?.Invoke(trainer, module, loss, batch, batchIndex);

    /// <inheritdoc />
    public override void OnValidationStart(TrainerView trainer, ITrainingModule module) => onValidationStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnValidationEnd(TrainerView trainer, ITrainingModule module) => onValidationEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnValidationEpochStart(TrainerView trainer, ITrainingModule module) => onValidationEpochStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnValidationEpochEnd(TrainerView trainer, ITrainingModule module) => onValidationEpochEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnValidationBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => onValidationBatchStart?.Invoke(trainer, module, batch, batchIndex);

    /// <inheritdoc />
    public override void OnValidationBatchEnd(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => onValidationBatchEnd?.Invoke(trainer, module, batch, batchIndex);

    /// <inheritdoc />
    public override void OnTestStart(TrainerView trainer, ITrainingModule module) => onTestStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTestEnd(TrainerView trainer, ITrainingModule module) => onTestEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTestEpochStart(TrainerView trainer, ITrainingModule module) => onTestEpochStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTestEpochEnd(TrainerView trainer, ITrainingModule module) => onTestEpochEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTestBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => onTestBatchStart?.Invoke(trainer, module, batch, batchIndex);

    /// <inheritdoc />
    public override void OnTestBatchEnd(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => onTestBatchEnd?.Invoke(trainer, module, batch, batchIndex);

    /// <inheritdoc />
    public override void OnPredictStart(TrainerView trainer, ITrainingModule module) => onPredictStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnPredictEnd(TrainerView trainer, ITrainingModule module) => onPredictEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnPredictEpochStart(TrainerView trainer, ITrainingModule module) => onPredictEpochStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnPredictEpochEnd(TrainerView trainer, ITrainingModule module) => onPredictEpochEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnPredictBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) => onPredictBatchStart?.Invoke(trainer, module, batch, batchIndex);

    /// <inheritdoc />
    public override void OnPredictBatchEnd(TrainerView trainer, ITrainingModule module, Tensor prediction, Batch batch, int batchIndex) => onPredictBatchEnd?.Invoke(trainer, module, prediction, batch, batchIndex);

    /// <inheritdoc />
    public override void OnBeforeBackward(TrainerView trainer, ITrainingModule module, Tensor loss) => onBeforeBackward?.Invoke(trainer, module, loss);

    /// <inheritdoc />
    public override void OnAfterBackward(TrainerView trainer, ITrainingModule module) => onAfterBackward?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnBeforeOptimizerStep(TrainerView trainer, ITrainingModule module, optim.Optimizer optimizer) => onBeforeOptimizerStep?.Invoke(trainer, module, optimizer);

    /// <inheritdoc />
    public override void OnBeforeZeroGrad(TrainerView trainer, ITrainingModule module, optim.Optimizer optimizer) => onBeforeZeroGrad?.Invoke(trainer, module, optimizer);

    /// <inheritdoc />
    public override void OnSaveCheckpoint(TrainerView trainer, ITrainingModule module, StateDict checkpoint) => onSaveCheckpoint?.Invoke(trainer, module, checkpoint);

    /// <inheritdoc />
    public override void OnLoadCheckpoint(TrainerView trainer, ITrainingModule module, StateDict checkpoint) => onLoadCheckpoint?.Invoke(trainer, module, checkpoint);

    /// <inheritdoc />
    public override void OnException(TrainerView trainer, ITrainingModule module, Exception exception) => onException?.Invoke(trainer, module, exception);
}
