using Unified.Core.Data;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios.DiHost;

/// <summary>A Lightning callback found by scanning, with its dependency from the container: prints each epoch, drives the stop plan.</summary>
public sealed class ProgressCallback(JobStopPlan plan) : Callback
{
    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex) => plan.StepDone(trainer.GlobalStep);

    public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module)
    {
        Console.WriteLine($"  [scanned callback] lightning epoch {trainer.CurrentEpoch} ended at step {trainer.GlobalStep}");
        plan.EpochDone();
    }

    public override void OnFitEnd(TrainerView trainer, ITrainingModule module) => Console.WriteLine($"  [scanned callback] lightning fit ended at step {trainer.GlobalStep}");
}
