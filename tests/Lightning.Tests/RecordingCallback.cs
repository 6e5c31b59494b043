using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>A callback that records its hooks with the progress they saw.</summary>
internal sealed class RecordingCallback(HookLog log, string name = "callback") : Callback
{
    public List<TrainerProgress> BatchProgress { get; } = [];

    public List<float> Losses { get; } = [];

    public Action<TrainerProgress>? AfterBatch { get; init; }

    public override void OnFitStart(TrainerProgress progress, ITrainingModule module) => log.Add($"{name}.OnFitStart");

    public override void OnTrainEpochStart(TrainerProgress progress, ITrainingModule module) => log.Add($"{name}.OnTrainEpochStart({progress.Epoch})");

    public override void OnTrainBatchEnd(TrainerProgress progress, ITrainingModule module, Tensor loss, int batchSize)
    {
        log.Add($"{name}.OnTrainBatchEnd({progress.BatchIndex})");
        BatchProgress.Add(progress);
        Losses.Add(loss.item<float>());
        AfterBatch?.Invoke(progress);
    }

    public override void OnTrainEpochEnd(TrainerProgress progress, ITrainingModule module, EpochResult result) =>
        log.Add($"{name}.OnTrainEpochEnd({result.Epoch})");

    public override void OnFitEnd(TrainerProgress progress, ITrainingModule module) => log.Add($"{name}.OnFitEnd");
}
