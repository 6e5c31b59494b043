using TorchSharp;
using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Core.Models;

using Unified.Core.Training;

/// <summary>
/// Cross-entropy classification with Adam: logs <c>train_loss</c> while training and <c>val_loss</c>,
/// <c>val_accuracy</c> while validating. The model both front-ends train in <c>unified fit</c>.
/// </summary>
public sealed class ClassificationModule : TrainingModule
{
    readonly nn.Module<Tensor, Tensor> network;

    /// <summary>Wraps <paramref name="network"/>; records <c>learning_rate</c> in <see cref="TrainingModule.Hyperparameters"/>.</summary>
    public ClassificationModule(nn.Module<Tensor, Tensor> network, double learningRate) : base(network)
    {
        this.network = network;
        LearningRate = learningRate > 0 && double.IsFinite(learningRate)
            ? learningRate
            : throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "Learning rate must be a positive finite number.");
        Hyperparameters["learning_rate"] = learningRate;
    }

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; }

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
        Log("val_loss", nn.functional.cross_entropy(logits, batch.Target), batch.Size, progressBar: true);
        Log("val_accuracy", logits.argmax(1).eq(batch.Target).to_type(ScalarType.Float32).mean(), batch.Size, progressBar: true);
    }

    /// <summary>Step Adam with libtorch's fused kernel (<see cref="Optimization.FusedKernels"/>: faster, not bitwise TorchSharp's step); default false.</summary>
    public bool FusedKernel { get; init; }

    /// <inheritdoc />
    public override OptimizerConfig ConfigureOptimizers()
    {
        var adam = optim.Adam(Network.parameters(), LearningRate);
        return new(FusedKernel ? Optimization.FusedKernels.WithFusedKernel(adam) : adam);
    }
}
