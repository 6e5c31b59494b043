using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Training;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Cli.Evaluate;

/// <summary>
/// The digits classifier of <c>unified fit</c> as a <see cref="LightningModule"/>, for Lightning's validate, test and
/// predict: logs <c>val_loss</c> / <c>val_accuracy</c> and <c>test_loss</c> / <c>test_accuracy</c>; predicts class probabilities.
/// </summary>
public sealed class DigitsClassifier(nn.Module<Tensor, Tensor> network, double learningRate = 1e-3) : LightningModule(network)
{
    /// <inheritdoc />
    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
        Log("train_loss", loss, batch.Size, progressBar: true);
        return loss;
    }

    /// <inheritdoc />
    public override void ValidationStep(Batch batch, int batchIndex) => Measure("val", batch);

    /// <inheritdoc />
    public override void TestStep(Batch batch, int batchIndex) => Measure("test", batch);

    /// <summary>Softmax probabilities per class, one row per sample.</summary>
    public override Tensor PredictStep(Batch batch, int batchIndex) => nn.functional.softmax(Forward(batch.Input), 1);

    /// <inheritdoc />
    public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), learningRate));

    void Measure(string prefix, Batch batch)
    {
        var logits = Forward(batch.Input);
        Log($"{prefix}_loss", nn.functional.cross_entropy(logits, batch.Target), batch.Size);
        Log($"{prefix}_accuracy", logits.argmax(1).eq(batch.Target).to_type(ScalarType.Float32).mean(), batch.Size);
    }
}
