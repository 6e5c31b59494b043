using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>A digits classifier that records every hook and step the trainer calls, and can fail on demand.</summary>
internal sealed class RecordingModule(HookLog log, int failAtBatch = -1) : LightningModule(new DigitsMlp())
{
    public List<bool> TrainingModeDuringTraining { get; } = [];

    public List<bool> TrainingModeDuringValidation { get; } = [];

    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        log.Add($"module.TrainingStep({batchIndex})");
        TrainingModeDuringTraining.Add(Network.training);
        if (batchIndex == failAtBatch) throw new InvalidOperationException("step failed on purpose");
        var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
        Log("train_loss", loss, batch.Size, onStep: false, onEpoch: true);
        return loss;
    }

    public override void ValidationStep(Batch batch, int batchIndex)
    {
        log.Add($"module.ValidationStep({batchIndex})");
        TrainingModeDuringValidation.Add(Network.training);
        Log("val_loss", nn.functional.cross_entropy(Forward(batch.Input), batch.Target), batch.Size);
    }

    public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3));

    public override void OnFitStart() => log.Add("module.OnFitStart");

    public override void OnTrainEpochStart() => log.Add($"module.OnTrainEpochStart({Trainer!.CurrentEpoch})");

    public override void OnTrainEpochEnd() => log.Add($"module.OnTrainEpochEnd({Trainer!.CurrentEpoch})");

    public override void OnFitEnd() => log.Add("module.OnFitEnd");
}
