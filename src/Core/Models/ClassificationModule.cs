using TorchSharp;
using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Core.Models;

using Unified.Core.Training;

/// <summary>
/// Cross-entropy classification with Adam: logs <c>train_loss</c> while training and <c>val_loss</c>,
/// <c>val_accuracy</c> while validating. The model both front-ends train in <c>unified fit</c>.
/// </summary>
public sealed class ClassificationModule(nn.Module<Tensor, Tensor> network, double learningRate) : TrainingModule(network)
{
    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; } = learningRate > 0 && double.IsFinite(learningRate)
        ? learningRate
        : throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "Learning rate must be a positive finite number.");

    /// <inheritdoc />
    public override Tensor TrainingStep(Batch batch, int batchIndex)
    {
        var loss = nn.functional.cross_entropy(network.call(batch.Input), batch.Target);
        Log("train_loss", loss, batch.Size, progressBar: true);
        return loss;
    }

    /// <inheritdoc />
    public override void ValidationStep(Batch batch, int batchIndex)
    {
        var logits = network.call(batch.Input);
        Log("val_loss", nn.functional.cross_entropy(logits, batch.Target), batch.Size);
        Log("val_accuracy", logits.argmax(1).eq(batch.Target).to_type(ScalarType.Float32).mean(), batch.Size);
    }

    /// <inheritdoc />
    public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), LearningRate));
}
