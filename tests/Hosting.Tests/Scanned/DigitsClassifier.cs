using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Hosting.Tests.Scanned;

/// <summary>The digits MLP as a LightningModule the container builds: seeded here, so that every resolution starts from the same weights.</summary>
public sealed class DigitsClassifier() : LightningModule(Seeded())
{
    static DigitsMlp Seeded()
    {
        Seed.Everything(42);
        return new DigitsMlp();
    }

    /// <inheritdoc />
    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
        Log("train_loss", loss, batch.Size);
        return loss;
    }

    /// <inheritdoc />
    public override void ValidationStep(Batch batch, int batchIndex)
    {
        var logits = Forward(batch.Input);
        Log("val_loss", nn.functional.cross_entropy(logits, batch.Target), batch.Size);
        Log("val_accuracy", logits.argmax(1).eq(batch.Target).to_type(ScalarType.Float32).mean(), batch.Size);
    }

    /// <inheritdoc />
    public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3));
}
