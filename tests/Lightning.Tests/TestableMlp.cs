using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>The digits MLP as a LightningModule with a test step (Adam 1e-3; train_loss, val_loss, val_accuracy, test_loss).</summary>
internal sealed class TestableMlp(double lr = 1e-3) : LightningModule(new DigitsMlp())
{
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

    public override void TestStep(Batch batch, int batchIndex) =>
        Log("test_loss", nn.functional.cross_entropy(Forward(batch.Input), batch.Target), batch.Size);

    public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), lr));
}
