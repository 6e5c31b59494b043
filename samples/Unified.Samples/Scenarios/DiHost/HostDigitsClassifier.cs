using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios.DiHost;

/// <summary>The digits MLP as a LightningModule the container builds (found by scanning); seeded here, so every resolution starts from the same weights.</summary>
public sealed class HostDigitsClassifier() : LightningModule(Seeded())
{
    static DigitsMlp Seeded()
    {
        Seed.Everything(42);
        return new DigitsMlp();
    }

    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
        Log("train_loss", loss, batch.Size);
        return loss;
    }

    public override void ValidationStep(Batch batch, int batchIndex)
    {
        var logits = Forward(batch.Input);
        Log("val_loss", nn.functional.cross_entropy(logits, batch.Target), batch.Size);
        Log("val_accuracy", logits.argmax(1).eq(batch.Target).to_type(ScalarType.Float32).mean(), batch.Size);
    }

    public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3));
}
