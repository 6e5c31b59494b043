using Unified.Core.Data;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Lightning's <c>_LRCallback</c> and its <c>_ExponentialLR</c>/<c>_LinearLR</c> schedules (tuner/lr_finder.py): sets
/// the step's learning rate, records it, and records the bias-corrected exponential moving average of the loss
/// (beta 0.98); stops the fit when that average exceeds <c>earlyStopThreshold</c> times the best one.
/// </summary>
internal sealed class LrFinderCallback(LrFinderMode mode, double minLr, double maxLr, int numTraining, double? earlyStopThreshold) : Callback
{
    const double Beta = 0.98;
    double averageLoss, bestLoss;

    public List<double> Lrs { get; } = [];

    public List<double> Losses { get; } = [];

    // Lightning's schedules give min_lr first, then min·(max/min)^((k+1)/N) (or the linear equivalent) after k steps.
    double LearningRate(long step)
    {
        if (step == 0) return minLr;
        double r = (step + 1) / (double)numTraining;
        return mode == LrFinderMode.Exponential ? minLr * Math.Pow(maxLr / minLr, r) : minLr + r * (maxLr - minLr);
    }

    // Lightning's tuner/lr_finder.py _exchange_scheduler: one optimiser's rates are swept.
    public override void OnFitStart(TrainerView trainer, ITrainingModule module)
    {
        if (trainer.LrSchedulerConfigs.Count != 1)
            throw new InvalidOperationException($"{module.GetType().Name}.ConfigureOptimizers returned {trainer.LrSchedulerConfigs.Count} optimizers, but the learning rate finder only works with a single optimizer.");
    }

    public override void OnTrainBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex)
    {
        double lr = LearningRate(trainer.GlobalStep);
        foreach (var config in trainer.LrSchedulerConfigs)
            foreach (var group in config.Optimizer.ParamGroups) group.LearningRate = lr;
        if ((batchIndex + 1) % trainer.AccumulateGradBatches == 0) Lrs.Add(lr);
    }

    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex)
    {
        if ((batchIndex + 1) % trainer.AccumulateGradBatches != 0) return;
        double current = loss.to_type(ScalarType.Float64).item<double>();
        long step = trainer.GlobalStep;
        averageLoss = Beta * averageLoss + (1 - Beta) * current;
        double smoothed = averageLoss / (1 - Math.Pow(Beta, step + 1));
        if (earlyStopThreshold is double threshold && step > 1 && smoothed > threshold * bestLoss) trainer.ShouldStop = true;
        if (smoothed < bestLoss || step == 1) bestLoss = smoothed;
        Losses.Add(smoothed);
    }
}
