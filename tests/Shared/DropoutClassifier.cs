using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Testing;

/// <summary>
/// A classifier whose training draws from the global generator (dropout on the inputs) and whose learning rate
/// decays every 4 optimiser steps: resuming it bitwise needs the RNG, scheduler, optimiser and weights restored.
/// </summary>
public sealed class DropoutClassifier(long seed) : TrainingModule(Seeded(seed))
{
    static DigitsMlp Seeded(long seed)
    {
        manual_seed(seed);
        return new DigitsMlp();
    }

    /// <inheritdoc />
    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var logits = ((DigitsMlp)Network).call(nn.functional.dropout(batch.Input, 0.2, training: Network.training));
        var loss = nn.functional.cross_entropy(logits, batch.Target);
        Log("train_loss", loss, batch.Size);
        return loss;
    }

    /// <inheritdoc />
    public override void ValidationStep(Batch batch, int batchIndex)
    {
        var logits = ((DigitsMlp)Network).call(batch.Input);
        Log("val_loss", nn.functional.cross_entropy(logits, batch.Target), batch.Size);
        Log("val_accuracy", logits.argmax(1).eq(batch.Target).to_type(ScalarType.Float32).mean(), batch.Size);
    }

    /// <inheritdoc />
    public override OptimizerConfig ConfigureOptimizers()
    {
        var adam = optim.Adam(Network.parameters(), lr: 2e-3);
        return new OptimizerConfig(adam, optim.lr_scheduler.StepLR(adam, step_size: 4, gamma: 0.8), SchedulerInterval.Step);
    }
}
