using Unified.Core.Data;
using Unified.Core.Logging;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Shows a fit's progress with Core's display, as Lightning's progress bar callbacks (callbacks/progress/): a live
/// Spectre.Console display on an interactive terminal (the loss and throughput, the metrics logged with
/// <c>progressBar: true</c>), one line per epoch otherwise (pipes, CI logs). The <see cref="Trainer"/> adds one by
/// default (<see cref="TrainerOptions.EnableProgressBar"/>); only rank 0 shows it.
/// </summary>
/// <example><code>options.Callbacks.Add(new ProgressBar(Console.Error)); // plain lines on standard error</code></example>
public sealed class ProgressBar : Callback
{
    readonly TextWriter? output;
    IProgressDisplay? display;

    /// <summary>A progress bar on <paramref name="output"/> (default the console, live when it is a terminal).</summary>
    public ProgressBar(TextWriter? output = null) => this.output = output;

    /// <summary>Whether it shows anything (Lightning's <c>enable()</c>/<c>disable()</c>).</summary>
    public bool IsEnabled { get; private set; } = true;

    /// <summary>Stops showing until <see cref="Enable"/> (e.g. while a tuner runs fits of its own).</summary>
    public void Disable() => IsEnabled = false;

    /// <summary>Shows again.</summary>
    public void Enable() => IsEnabled = true;

    /// <inheritdoc />
    public override void OnTrainStart(TrainerView trainer, ITrainingModule module)
    {
        if (!IsEnabled || !trainer.IsGlobalZero) return;
        display = ProgressDisplay.Create(output ?? Console.Out, trainer.Progress.MaxEpochs, trainer.Progress.BatchesPerEpoch, () => module.Logged.ProgressBarNames);
        display.Start();
    }

    /// <inheritdoc />
    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex) =>
        display?.OnStep(new StepReport(trainer.CurrentEpoch, batchIndex, trainer.Progress.BatchesPerEpoch, loss, batch.Size));

    /// <inheritdoc />
    public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module) =>
        display?.OnEpoch(new EpochResult(trainer.CurrentEpoch, trainer.GlobalStep, trainer.CallbackMetrics));

    /// <inheritdoc />
    public override void OnTrainEnd(TrainerView trainer, ITrainingModule module) => Close();

    /// <inheritdoc />
    public override void OnException(TrainerView trainer, ITrainingModule module, Exception exception) => Close();

    void Close()
    {
        display?.Dispose();
        display = null;
    }
}
