using Unified.Core.Data;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>A callback that records its hooks with the progress they saw.</summary>
internal sealed class RecordingCallback(HookLog log, string name = "callback") : Callback
{
    public List<TrainerProgress> BatchProgress { get; } = [];

    public List<float> Losses { get; } = [];

    public Action<TrainerProgress>? AfterBatch { get; init; }

    public override void OnFitStart(TrainerView trainer, ITrainingModule module) => log.Add($"{name}.OnFitStart");

    public override void OnTrainEpochStart(TrainerView trainer, ITrainingModule module) => log.Add($"{name}.OnTrainEpochStart({trainer.CurrentEpoch})");

    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex)
    {
        log.Add($"{name}.OnTrainBatchEnd({batchIndex})");
        BatchProgress.Add(trainer.Progress);
        Losses.Add(loss.item<float>());
        AfterBatch?.Invoke(trainer.Progress);
    }

    public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module) =>
        log.Add($"{name}.OnTrainEpochEnd({trainer.CurrentEpoch})");

    public override void OnException(TrainerView trainer, ITrainingModule module, Exception exception) => log.Add($"{name}.OnException");

    public override void OnFitEnd(TrainerView trainer, ITrainingModule module) => log.Add($"{name}.OnFitEnd");
}
